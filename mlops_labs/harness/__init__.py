"""The pytest harness: the kit's plugin, its fixtures and hooks, active in the kit's own runs."""
