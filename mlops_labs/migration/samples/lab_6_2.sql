-- Lab 6.2's Redshift SQL, statement by statement, as a run of the lab code issues it:
-- load_sample_schema() (the churn schema, loaded with COPY), then prepare_redshift_training()
-- (pre-aggregation in a materialized view, CTAS, the read, UNLOAD). tests/test_translate.py
-- checks it against the query history of a real run, so it cannot drift from the lab code.
--
--   mlops-labs translate mlops_labs/migration/samples/lab_6_2.sql --dataset churn

DROP TABLE IF EXISTS customers;

CREATE TABLE customers (
    customer_id VARCHAR(16) NOT NULL ENCODE zstd,
    country CHAR(2) ENCODE bytedict,
    tenure_months INTEGER ENCODE az64,
    contract VARCHAR(20) ENCODE bytedict,
    internet_service VARCHAR(10) ENCODE bytedict,
    monthly_charges DECIMAL(8, 2) ENCODE az64,
    total_charges DECIMAL(10, 2) ENCODE az64,
    support_calls INTEGER ENCODE az64,
    paperless_billing VARCHAR(3),
    payment_method VARCHAR(20) ENCODE bytedict,
    cancellation_reason VARCHAR(20),
    churned SMALLINT
)
DISTKEY (customer_id)
SORTKEY (customer_id);

COPY "customers" FROM 's3://churn-lake/raw/customers/'
IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftMLPipeline'
FORMAT AS CSV IGNOREHEADER 1;

DROP TABLE IF EXISTS activity;

CREATE TABLE activity (
    customer_id VARCHAR(16) NOT NULL ENCODE zstd,
    activity_date DATE ENCODE az64,
    minutes_used DECIMAL(8, 1) ENCODE az64,
    data_gb DECIMAL(10, 3) ENCODE az64,
    support_tickets INTEGER ENCODE az64
)
DISTKEY (customer_id)
COMPOUND SORTKEY (customer_id, activity_date);

COPY "activity" FROM 's3://churn-lake/raw/activity/'
IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftMLPipeline'
FORMAT AS CSV IGNOREHEADER 1;

DROP MATERIALIZED VIEW IF EXISTS "mv_activity_28d";

CREATE MATERIALIZED VIEW "mv_activity_28d" AS
SELECT "customer_id",
       COUNT(DISTINCT activity_date) AS "active_days",
       SUM(minutes_used) AS "minutes_28d",
       SUM(data_gb) AS "data_gb_28d",
       SUM(support_tickets) AS "tickets_28d",
       MAX(activity_date) AS "last_active"
FROM "activity"
GROUP BY "customer_id";

REFRESH MATERIALIZED VIEW "mv_activity_28d";

DROP TABLE IF EXISTS "churn_training";

CREATE TABLE "churn_training" DISTKEY ("customer_id") SORTKEY ("customer_id") AS
SELECT c.customer_id, c.tenure_months, c.contract, c.internet_service, c.monthly_charges,
       c.support_calls, c.payment_method,
       NVL(a.active_days, 0) AS active_days, NVL(a.minutes_28d, 0) AS minutes_28d,
       NVL(a.data_gb_28d, 0) AS data_gb_28d, NVL(a.tickets_28d, 0) AS tickets_28d,
       c.churned
FROM customers c LEFT JOIN mv_activity_28d a ON a.customer_id = c.customer_id;

SELECT * FROM "churn_training" ORDER BY "customer_id";

UNLOAD ('SELECT * FROM "churn_training"') TO 's3://churn-lake/staged/churn_training_'
IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftMLPipeline'
FORMAT AS CSV HEADER MANIFEST PARALLEL OFF;
