"""The migration toolkit: the AWS -> Google Cloud mapping, and Redshift SQL -> BigQuery SQL."""
