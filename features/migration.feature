@migration
Feature: Migration toolkit - the labs' AWS patterns on Google Cloud
  The workshop prepares a migration. Every AWS pattern the labs use has a Google Cloud
  equivalent, with the API calls on both sides, and "mlops-labs translate" turns Redshift SQL
  into BigQuery SQL: COPY becomes LOAD DATA, UNLOAD becomes EXPORT DATA, distribution and sort
  keys become clustering. What BigQuery writes differently is changed and said; what it has no
  equivalent for is reported with its line and the reason, never dropped. These scenarios check
  the toolkit itself: they are not graded tasks of the labs.

  Scenario: Every AWS pattern of the labs has its Google Cloud equivalent
    When I read the migration mapping
    Then it gives a Google Cloud equivalent for "Amazon S3, SageMaker Model Registry, CloudWatch, Redshift COPY, Redshift UNLOAD, Redshift Data API, Redshift CREATE TABLE AS, Redshift materialized views, Step Functions, Airflow, SageMaker Pipelines, IAM roles"
    And every pattern names the API calls on the AWS side and on the Google Cloud side
    And every pattern names the lab tasks that use it
    And the syllabus shows every pattern with its API calls

  Scenario: The Lab 6.2.6 checklist names the Google Cloud equivalents of the mapping
    Given 100 churn customers and their daily activity as CSV files in the S3 bucket "churn-lake"
    And Lab 6.2 has built its training table in Redshift and staged it under "s3://churn-lake/staged/churn_training_"
    When I ask for the teaching checklist of that run
    Then every signal and cost driver of the checklist is a row of the migration mapping
    And every item names where AWS and Google Cloud show it, as the migration mapping does

  Scenario: Lab 6.2's Redshift SQL, translated, gives the same rows in BigQuery
    Given 100 churn customers and their daily activity as CSV files in the S3 bucket "churn-lake"
    And Lab 6.2 has built its training table in Redshift and staged it under "s3://churn-lake/staged/churn_training_"
    And the raw files copied to the Cloud Storage bucket "churn-lake"
    And the BigQuery dataset "churn"
    When I translate the SQL the lab ran from Redshift to BigQuery, for the dataset "churn"
    Then every statement is translated and nothing is left untranslatable
    And COPY became LOAD DATA, UNLOAD became EXPORT DATA and the keys became clustering on "customer_id"
    When I run the translated statements in BigQuery
    Then "customers, activity, mv_activity_28d, churn_training" hold the same rows in BigQuery as in Redshift
    And the export under "gs://churn-lake/staged/" holds the same rows as the UNLOAD under "s3://churn-lake/staged/"

  Scenario: What BigQuery has no equivalent for is reported with its line and reason
    When I translate the sample of Redshift constructs BigQuery writes differently or lacks
    Then every construct its comments name is reported on its line, with a reason
    And nothing is dropped or left untranslatable that its comments do not name
    And what is written parses as BigQuery SQL, with no Redshift-only keyword left in it

  @bad_input
  Scenario Outline: Input the translator cannot read is refused in one line
    When I run "mlops-labs translate" on <input>
    Then it is refused with a message containing "<message>"
    And nothing is written as SQL and the exit code is 2

    Examples:
      | input                                                | message                         |
      | the script "SELECT customer_id FROM WHERE churned"   | 1:25: syntax error              |
      | an empty script                                      | holds no SQL statement          |
      | a script, translating from "postgres" to "bigquery"  | the translator reads redshift   |
