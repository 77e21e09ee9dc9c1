"""The pytest harness: the kit's plugin, in-process scenario runs, and check --watch's helper."""
