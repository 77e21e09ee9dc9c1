"""mlops-labs: an executable MLOps workshop from AWS to Google Cloud."""

__version__ = "0.1.0"
