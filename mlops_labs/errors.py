"""The kit's exceptions: each message is one line that says what was wrong and how to fix it."""


class KitError(Exception):
    """Base of every error the kit reports to a user without a traceback."""


class UnknownCloudMode(KitError):
    """A cloud mode that does not exist, or is not built yet."""


class UnknownTask(KitError):
    """A lab or task id that the catalogue does not hold."""


class ProjectNotFound(KitError):
    """The features and step definitions could not be found."""


class SandboxError(KitError):
    """An offline sandbox could not start or answer."""


class SolutionRegionError(KitError):
    """Solution regions in lab code are malformed or not attached to a task marker."""
