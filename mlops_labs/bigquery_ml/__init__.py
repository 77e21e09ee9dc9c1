"""BigQuery ML semantics on scikit-learn: statements, options, training, evaluation, prediction.

Independent of HTTP and of the SQL engine: callers parse a statement here, run its queries
themselves, and hand the result rows over as pandas DataFrames.
"""
