@lab_6_2
Feature: Lab 6.2 - Redshift in an ML pipeline
  Amazon Redshift is the warehouse of many AWS ML pipelines: data arrives with COPY from S3,
  SQL turns it into training tables (CTAS, materialized views, pre-aggregation), and the result
  reaches a trainer either staged in S3 with UNLOAD or read straight into memory. Performance
  depends on distribution and sort keys; cost on scans, cluster time and data movement. Each
  scenario below is one task: find its "# TODO: Lab 6.2.X" marker in ingest_model.py.

  Background:
    Given the churn customers and their daily activity as CSV files under "s3://churn-lake/raw/"
    And a Redshift warehouse with the lab's schema, loaded from them with COPY

  @lab_6_2_1
  Scenario: 6.2.1 Data access pattern conversion
    When I read "customers" with the columns "customer_id, tenure_months, contract" where "contract" is "two-year", ordered by "customer_id"
    Then I get a DataFrame with exactly those columns and only "two-year" contracts, in "customer_id" order
    And the SQL quotes every name and passes "two-year" as a bound parameter
    When I read the same "two-year" customers through the Redshift Data API
    Then I get the same customers as through pandas
    When I read "customers" where "customer_id" is "x' OR '1'='1"
    Then I get no rows
    And the warehouse still holds 300 customers

  @lab_6_2_1 @bad_input
  Scenario Outline: 6.2.1 A bad read is refused, and changes nothing
    When I read "<table>" with the columns "<columns>"
    Then it is refused with a message containing "<message>"
    And the warehouse still holds 300 customers

    Examples:
      | table         | columns                             | message                                 |
      | no_such_table | customer_id                         | relation "no_such_table" does not exist |
      | customers     | tenure_months; DROP TABLE customers | is not a valid table or column name     |
      | customers     | no_such_column                      | column "no_such_column" does not exist  |

  @lab_6_2_2
  Scenario: 6.2.2 ETL task mapping
    When I prepare the training data, staging it under "s3://churn-lake/staged/churn_training_"
    Then the materialized view "mv_activity_28d" holds one row per customer with activity, matching the activity table's totals
    And the table "churn_training" is distributed on "customer_id" and sorted on "customer_id"
    And "churn_training" holds one row per customer, with the activity features beside the label "churned"

  @lab_6_2_3
  Scenario: 6.2.3 Orchestration and dependency mapping
    When I ask for the pipeline's orchestration hints
    Then the tasks come in the order "extract, transform, stage, train, register"
    And every task comes after the tasks it depends on
    And every task names its Step Functions, Airflow and SageMaker Pipelines task
    And every task names its Vertex AI Pipelines, Cloud Composer and Workflows task
    And the Step Functions definition starts at "extract" and ends at "register"

  @lab_6_2_4
  Scenario: 6.2.4 Data movement: UNLOAD against a client-side upload
    Given the training table "churn_training" is built from the customers
    When I stage "churn_training" with UNLOAD as Parquet under "s3://churn-lake/unload/churn_training_"
    And I stage "churn_training" client-side as Parquet to "s3://churn-lake/client/churn_training.parquet"
    Then both staged copies hold the same 300 rows
    And UNLOAD wrote one file per slice, named as Redshift names them, and a manifest listing them
    And each way reports its rows, bytes and seconds
    When I stage "churn_training" with UNLOAD as Parquet under "s3://churn-lake/unload/churn_training_"
    Then it is refused with a message containing "Specified unload destination on S3 is not empty"
    And the files of the first UNLOAD are unchanged

  @lab_6_2_4 @bad_input
  Scenario Outline: 6.2.4 A bad load or unload is refused, and leaves nothing half-done
    When I <action>
    Then it is refused with a message containing "<message>"
    And the warehouse still holds 300 customers
    And nothing new is written under "s3://churn-lake/out/"

    Examples:
      | action                                                                    | message                                               |
      | COPY "customers" from "s3://churn-lake/raw/missing/"                      | The specified S3 prefix 'raw/missing/' does not exist |
      | COPY "customers" from a file with a broken last row                       | nothing was loaded                                    |
      | stage "customers" with UNLOAD as Parquet under "gs://churn-lake/out/"     | is not an S3 location                                 |
      | stage "customers" with UNLOAD as Parquet under "s3://no-such-bucket/out/" | does not exist                                        |

  @lab_6_2_5
  Scenario: 6.2.5 Model training integration
    When I prepare the training data, staging it under "s3://churn-lake/staged/churn_training_"
    Then I get a DataFrame with one row per customer and the label "churned"
    And an S3 URI of one CSV file with a header, holding the same rows as the DataFrame
    And the Lab 6.1 trainer trains a churn model from that S3 URI

  @lab_6_2_6
  Scenario: 6.2.6 Monitoring and cost trade-offs
    Given the training table "churn_training" is built from the customers
    And I note the last query id
    And "churn_training" is unloaded as Parquet under "s3://churn-lake/unload/churn_training_"
    And "churn_training" is uploaded client-side as Parquet to "s3://churn-lake/client/churn_training.parquet"
    When I ask for the teaching checklist since the noted query
    Then it lists the monitoring signals "query time, rows and bytes loaded"
    And it lists the cost drivers "bytes scanned, bytes unloaded to S3, client-side transfer (egress outside the region), cluster use"
    And each item names where AWS shows it and its Google Cloud equivalent
    And the measured bytes unloaded match the UNLOAD files in S3
    And the measured client-side transfer matches the uploaded object
    And the measured bytes scanned are more than zero
