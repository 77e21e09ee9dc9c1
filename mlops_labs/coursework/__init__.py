"""The course as data and code: labs and tasks, the lab code a run loads, stand-ins, the project."""
