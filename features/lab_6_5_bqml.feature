@lab_6_5
Feature: Lab 6.5 - BigQuery ML
  BigQuery ML trains models with SQL where the data lives: models are BigQuery resources beside
  tables, ML.EVALUATE scores them, and exported models can go on to Vertex AI for serving. This
  mirrors Redshift + SageMaker workflows on AWS. Each scenario below is one task: find its
  "# TODO: Lab 6.5.X" marker in bqml.py. Tasks 6.5.4 to 6.5.6 follow the model out of BigQuery:
  exported to Cloud Storage, registered in the Vertex AI Model Registry, served from an endpoint.

  Background:
    Given the Google Cloud project "mlops-labs-sandbox" and its BigQuery client

  @lab_6_5_1
  Scenario: 6.5.1 Create the BigQuery dataset
    When I create the dataset "penguins"
    Then the project has the dataset "penguins" in "US"
    When I create the dataset "penguins"
    Then the project has 1 dataset

  @lab_6_5_2
  Scenario: 6.5.2 Train the BigQuery ML model
    Given the dataset "penguins" exists in "US"
    When I run the workshop's CREATE MODEL statement as its text writes it, with labels=['species']
    Then BigQuery refuses it with a message containing "ARRAY<STRUCT<STRING, STRING>>"
    When I train the model "penguins" with the lab's statement
    Then the model "penguins" is a DNN classifier whose label column is "species"
    And it learns from the penguins table's other columns

  @lab_6_5_3
  Scenario: 6.5.3 Evaluate the model
    Given the dataset "penguins" exists in "US"
    And a DNN classifier "penguins" trained on the penguins table
    When I evaluate the model "penguins"
    Then I get its precision, recall, accuracy, f1_score, log_loss and roc_auc
    And its accuracy is above 0.85

  @lab_6_5_4
  Scenario: 6.5.4 Export the model to Cloud Storage
    Given the dataset "penguins" exists in "US"
    And a DNN classifier "penguins" trained on the penguins table
    And the Cloud Storage bucket "penguins-models"
    When I export the model "penguins" to "gs://penguins-models"
    Then the export is the folder "gs://penguins-models/models/penguins/"
    And the folder holds the model file and its metadata
    And the exported model names the same species as ML.PREDICT for 5 penguins

  @lab_6_5_4 @bad_input
  Scenario: 6.5.4 Exports to a place that is not a bucket, or of a missing model, write nothing
    Given the dataset "penguins" exists in "US"
    And a DNN classifier "penguins" trained on the penguins table
    And the Cloud Storage bucket "penguins-models"
    When I export the model "penguins" to "s3://penguins-models"
    Then it is refused with a message containing "is not a Cloud Storage bucket"
    When I export the model "missing" to "gs://penguins-models"
    Then BigQuery refuses it with a message containing "Not found: Model"
    And the bucket "penguins-models" is empty

  @lab_6_5_5
  Scenario: 6.5.5 Register the exported model in the Vertex AI Model Registry
    Given Vertex AI is set up for the project in "us-east1"
    And the penguins model exported to the bucket "penguins-models"
    When I register the export as the model "penguins"
    Then the Model Registry has the model "penguins" at version 1, with the alias "default"
    And the registered version's artifact is the exported folder, labelled as from BigQuery ML
    When I register the export again as a new version of "penguins"
    Then the model "penguins" has versions 1 and 2, and "default" names version 2

  @lab_6_5_5 @bad_input
  Scenario: 6.5.5 A folder with no model in it is not registered
    Given Vertex AI is set up for the project in "us-east1"
    And the Cloud Storage bucket "penguins-models"
    When I register "gs://penguins-models/models/empty/" as the model "penguins"
    Then Vertex AI refuses it with a message containing "gs://penguins-models/models/empty"
    And the Model Registry has no model

  @lab_6_5_5 @parity
  Scenario: 6.5.5 beside 6.1.5: one artifact story, two model registries
    Given the churn model of Lab 6.1 registered in SageMaker's model registry
    And Vertex AI is set up for the project in "us-east1"
    And the penguins model exported to the bucket "penguins-models"
    When I register the export as the model "penguins"
    Then each registry entry points at a model file in its cloud's storage
    And SageMaker's package group "churn-classifier" is to SageMaker what the model "penguins" is to Vertex AI
    And both registries number the first version 1
    And SageMaker holds its version for manual approval, where Vertex AI marks its version "default"

  @lab_6_5_6
  Scenario: 6.5.6 Deploy to an endpoint, predict, and tear it down
    Given Vertex AI is set up for the project in "us-east1"
    And the penguins model registered in the Vertex AI Model Registry
    When I deploy the model and predict the species of 3 penguins
    Then each prediction names the species ML.PREDICT names, with a probability for every species
    And no endpoint is left, and the model is deployed nowhere

  @lab_6_5_6 @bad_input
  Scenario: 6.5.6 Instances of the wrong shape are refused, and nothing is left deployed
    Given Vertex AI is set up for the project in "us-east1"
    And the penguins model registered in the Vertex AI Model Registry
    When I deploy the model and predict a penguin without its "island"
    Then Vertex AI refuses it with a message containing "missing the feature column(s) ['island']"
    And no endpoint is left, and the model is deployed nowhere
