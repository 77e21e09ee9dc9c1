"""Cassettes for the replay cloud mode: serialise, scrub, match and explain recorded traffic."""
