"""Cloud modes: where the official SDKs point (local sandboxes, cassettes, real accounts)."""
