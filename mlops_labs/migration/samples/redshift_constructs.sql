-- Redshift constructs BigQuery writes differently, does without, or has no equivalent for.
-- Each line that holds one says what the translator must report there, after "expect:"
-- (outcome: construct); tests/test_translate.py fails if any of them is not reported on its
-- line, or if anything is dropped or left untranslatable that no "expect:" names.
--
--   mlops-labs translate mlops_labs/migration/samples/redshift_constructs.sql --dataset analytics

CREATE TABLE events (
    event_id BIGINT IDENTITY(1, 1),                -- expect: untranslatable: IDENTITY
    customer_id VARCHAR(16) NOT NULL DISTKEY,      -- expect: translated: DISTKEY
    occurred_at TIMESTAMP SORTKEY ENCODE az64,     -- expect: translated: TIMESTAMP; translated: SORTKEY; dropped: ENCODE
    payload SUPER,                                 -- expect: translated: SUPER
    notes VARCHAR(MAX),                            -- expect: translated: VARCHAR(MAX)
    amount DECIMAL(38, 10),                        -- expect: translated: DECIMAL(38, 10)
    shape GEOMETRY,                                -- expect: untranslatable: GEOMETRY
    PRIMARY KEY (event_id)                         -- expect: dropped: PRIMARY KEY
)
DISTSTYLE KEY                                      -- expect: dropped: DISTSTYLE
BACKUP NO;                                         -- expect: dropped: BACKUP

CREATE TABLE orders (
    order_id BIGINT NOT NULL,
    customer_id VARCHAR(16) NOT NULL ENCODE zstd,  -- expect: dropped: ENCODE
    country CHAR(2),                               -- expect: translated: CHAR(2)
    placed_on DATE,
    placed_at TIMESTAMPTZ,                         -- expect: translated: TIMESTAMPTZ
    discount REAL,                                 -- expect: translated: REAL
    total DECIMAL                                  -- expect: translated: DECIMAL
)
DISTKEY (customer_id)                              -- expect: translated: DISTKEY
INTERLEAVED SORTKEY (placed_on, customer_id, country, order_id, total); -- expect: translated: INTERLEAVED SORTKEY; suggestion: PARTITION BY placed_on

CREATE TABLE order_facts DISTSTYLE ALL AS          -- expect: dropped: DISTSTYLE
SELECT o.customer_id,
       LISTAGG(o.country, ',') WITHIN GROUP (ORDER BY o.placed_on) AS countries,  -- expect: translated: LISTAGG
       NVL(SUM(o.total), 0) AS spent,              -- expect: translated: NVL
       DATEDIFF(day, MIN(o.placed_on), GETDATE()) AS age_days,  -- expect: translated: DATEDIFF; translated: GETDATE
       COUNT(*) / COUNT(DISTINCT o.placed_on) AS per_day  -- expect: suggestion: /
FROM orders o
GROUP BY o.customer_id;

CREATE MATERIALIZED VIEW daily_orders AUTO REFRESH YES AS  -- expect: translated: AUTO REFRESH; translated: CREATE MATERIALIZED VIEW
SELECT placed_on, COUNT(*) AS orders, SUM(total) AS total
FROM orders
GROUP BY placed_on;

REFRESH MATERIALIZED VIEW daily_orders;           -- expect: translated: REFRESH MATERIALIZED VIEW

SELECT customer_id, MEDIAN(total) AS typical       -- expect: untranslatable: MEDIAN
FROM orders
WHERE placed_on > DATEADD(day, -28, GETDATE())     -- expect: translated: DATEADD; translated: GETDATE
GROUP BY customer_id;

SELECT order_id FROM orders WHERE country SIMILAR TO '(US|CA)';  -- expect: untranslatable: SIMILAR TO

SELECT EXTRACT(EPOCH FROM placed_at) FROM orders;  -- expect: untranslatable: EXTRACT(EPOCH

SELECT SPLIT_PART(notes, ',', 2) FROM events;      -- expect: untranslatable: SPLIT_PART

SELECT TO_CHAR(placed_on, 'YYYY-MM') AS month,     -- expect: translated: TO_CHAR
       TO_CHAR(total, '999D99') AS shown,          -- expect: untranslatable: TO_CHAR(x, '999D99')
       CONVERT_TIMEZONE('UTC', 'America/New_York', placed_on) AS local_day  -- expect: translated: CONVERT_TIMEZONE
FROM orders;

SELECT query_id, elapsed_time FROM sys_query_history;  -- expect: untranslatable: sys_query_history

SELECT order_id FROM orders WHERE customer_id = %s;    -- expect: translated: %s

DELETE FROM orders USING events                    -- expect: untranslatable: DELETE ... USING
WHERE orders.customer_id = events.customer_id;

DELETE FROM events;                                -- expect: translated: DELETE without WHERE

COPY orders FROM 's3://lake/orders/'               -- expect: translated: COPY; translated: s3://lake/orders/
IAM_ROLE 'arn:aws:iam::123456789012:role/Loader'   -- expect: dropped: IAM_ROLE
FORMAT AS JSON 'auto'                              -- expect: translated: FORMAT JSON
GZIP                                               -- expect: dropped: GZIP
REGION 'us-east-1';                                -- expect: dropped: REGION

COPY orders FROM 's3://lake/orders.manifest'       -- expect: translated: COPY; translated: s3://lake/orders.manifest
IAM_ROLE default                                   -- expect: dropped: IAM_ROLE
MANIFEST                                           -- expect: untranslatable: MANIFEST
BZIP2                                              -- expect: untranslatable: BZIP2
ACCEPTINVCHARS;                                    -- expect: untranslatable: ACCEPTINVCHARS

COPY orders (order_id, customer_id) FROM 's3://lake/ids/' IAM_ROLE default CSV;  -- expect: untranslatable: COPY column list

UNLOAD ('SELECT * FROM orders WHERE placed_on > ''2026-01-01''')  -- expect: translated: UNLOAD; translated: UNLOAD without FORMAT
TO 's3://lake/export/orders_'                      -- expect: translated: s3://lake/export/orders_
IAM_ROLE default                                   -- expect: dropped: IAM_ROLE
GZIP ALLOWOVERWRITE                                -- expect: translated: ALLOWOVERWRITE
MAXFILESIZE 100 MB                                 -- expect: dropped: MAXFILESIZE
ENCRYPTED;                                         -- expect: dropped: ENCRYPTED

UNLOAD ('SELECT * FROM orders') TO 's3://lake/by_country/'  -- expect: translated: UNLOAD; translated: s3://lake/by_country/
IAM_ROLE default FORMAT AS PARQUET                 -- expect: dropped: IAM_ROLE
PARTITION BY (country);                            -- expect: untranslatable: PARTITION BY

VACUUM orders;                                     -- expect: dropped: VACUUM
ANALYZE orders;                                    -- expect: dropped: ANALYZE
GRANT SELECT ON orders TO GROUP analysts;          -- expect: untranslatable: GRANT
BEGIN;                                             -- expect: untranslatable: BEGIN
ALTER TABLE orders ALTER DISTKEY order_id;         -- expect: untranslatable: ALTER TABLE
CREATE EXTERNAL TABLE spectrum.orders (id INT) STORED AS PARQUET LOCATION 's3://lake/x/';  -- expect: untranslatable: CREATE EXTERNAL
COMMIT;                                            -- expect: untranslatable: COMMIT
