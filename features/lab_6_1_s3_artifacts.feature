@lab_6_1
Feature: Lab 6.1 - S3 artifacts from an EC2/SageMaker trainer
  Amazon S3 is the durable artifact store of ML workloads on AWS. A trainer on EC2 or
  SageMaker stages files locally, then uploads them to S3; models are serialized with joblib;
  S3 also carries the CSV files a pipeline reads and writes; and logging grows from print
  statements to CloudWatch metrics. Each scenario below is one task of the lab: find its
  "# TODO: Lab 6.1.X" marker in model.py, read the WHERE / WHAT / WHY, and make it pass.

  Background:
    Given a churn data set of 600 customers
    And an empty S3 bucket "churn-artifacts"

  @lab_6_1_1
  Scenario: 6.1.1 Line-by-line import exploration
    Given the source of the Lab 6.1 trainer
    When I read the imports at the top of the trainer
    Then "joblib" is the library that writes the model to local disk
    And "boto3" is the library that uploads the model to Amazon S3
    And "boto3" is also the library that registers the model with SageMaker

  @lab_6_1_2
  Scenario: 6.1.2 Execution model translation: a local run and an orchestrated run
    Given the customers are saved as a CSV file on local disk
    When I train the churn model with the model path "a local models folder"
    Then the model file is written in the local models folder
    And no object is uploaded to the S3 bucket
    And no model package is registered
    When I score the customers with the stored model into "a local predictions file"
    Then the predictions file has one row per customer with a churn probability
    Given the customers are uploaded to "s3://churn-artifacts/data/customers.csv"
    When I train the churn model with the model path "s3://churn-artifacts/models/churn/"
    Then the model file is uploaded under "s3://churn-artifacts/models/churn/"
    And the model file is not written to local disk
    When I score the customers with the stored model into "s3://churn-artifacts/predictions/churn.csv"
    Then the predictions file has one row per customer with a churn probability

  @lab_6_1_3
  Scenario: 6.1.3 Parameter and artifact evolution
    Given the customers are saved as a CSV file on local disk
    When I select the features that predict "churned"
    Then these columns are left out for the stated reasons:
      | column              | reason     |
      | customer_id         | identifier |
      | country             | constant   |
      | cancellation_reason | leakage    |
    And every other column is a feature
    When I train the churn model twice with the same data and parameters
    Then both runs give the model file the same name
    And the name says it is a "churn" "logreg" model with 8 features and its scikit-learn version
    When I train the churn model again with a regularisation strength of 0.1
    Then the model file gets a different name

  @lab_6_1_4
  Scenario: 6.1.4 S3 data loading conversion: a durable upload, proven intact
    Given a trained model file on local disk
    When I persist the model file to "s3://churn-artifacts/models/manual/churn.joblib"
    Then the S3 object holds exactly the bytes of the local file
    And S3 reports the same SHA-256 checksum as the local file
    When I persist the model file to "s3://no-such-bucket/models/churn.joblib"
    Then it is refused with a message containing "S3 bucket 'no-such-bucket' does not exist"

  @lab_6_1_5
  Scenario: 6.1.5 Artifact persistence and model registry integration
    Given the customers are uploaded to "s3://churn-artifacts/data/customers.csv"
    When I train the churn model with the model path "s3://churn-artifacts/models/churn/"
    Then a model package in the group "churn-classifier" points at the uploaded model file
    And the model package is waiting for manual approval
    And the model package records the model file's SHA-256
    And no temporary model file is left on local disk
    And the registered model file loads and scores every customer

  @lab_6_1_5 @bad_input
  Scenario Outline: 6.1.5 Bad input is refused clearly, and nothing is uploaded or registered
    Given the customers are uploaded to "s3://churn-artifacts/data/customers.csv"
    And <training data>
    When I train the churn model from "<data>" with the model path "<model path>"
    Then it is refused with a message containing "<message>"
    And no model file is uploaded to the S3 bucket
    And no model package is registered

    Examples:
      | training data                                                  | data                     | model path                         | message                                   |
      | the customers are saved as a CSV file on local disk            | the local customers file | ftp://files.example/models/        | unsupported URI scheme 'ftp'              |
      | the customers are saved as a CSV file on local disk            | the local customers file | s3:///models/                      | has no bucket name                        |
      | the customers are saved as a CSV file on local disk            | s3://churn-artifacts     | s3://churn-artifacts/models/       | has no object key                         |
      | the customers are saved as a CSV file on local disk            | the local customers file | s3://no-such-bucket/models/        | S3 bucket 'no-such-bucket' does not exist |
      | the customers are saved on local disk without the label column | the local customers file | s3://churn-artifacts/models/       | has no label column 'churned'             |
      | the customers are saved as a CSV file on local disk            | the local customers file | a local path inside a regular file | cannot write                              |

  @lab_6_1_6
  Scenario: 6.1.6 Logging and metrics evolution
    Given the customers are uploaded to "s3://churn-artifacts/data/customers.csv"
    When I train the churn model with the model path "s3://churn-artifacts/models/churn/"
    Then the trainer logs one "training_complete" record with these fields:
      | field        |
      | elapsed_s    |
      | n_features   |
      | artifact_uri |
      | metrics      |
    And the logged feature count is 8 and the logged artifact is the uploaded model file
    And CloudWatch holds the run's accuracy, roc_auc and f1_score under "MLOpsLabs/Churn"
    And CloudWatch holds the training time in seconds and the feature count
