@lab_6_5
Feature: Lab 6.5 - BigQuery ML
  BigQuery ML trains models with SQL where the data lives: models are BigQuery resources beside
  tables, ML.EVALUATE scores them, and exported models can go on to Vertex AI for serving. This
  mirrors Redshift + SageMaker workflows on AWS. Each scenario below is one task: find its
  "# TODO: Lab 6.5.X" marker in bqml.py.

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
