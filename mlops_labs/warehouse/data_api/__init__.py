"""The Redshift Data API, offline: boto3's ``redshift-data`` client answered from a Warehouse."""
