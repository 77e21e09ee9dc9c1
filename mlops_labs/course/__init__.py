"""The course: what learners and instructors run, from ``mlops-labs start`` to ``verify``."""
