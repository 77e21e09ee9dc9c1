@lab_6_4
Feature: Lab 6.4 - Cloud Storage and Vertex AI set-up
  Cloud Storage is the artifact backbone of Vertex AI: buckets hold datasets, staging files
  and exported models, and pipelines pass gs:// URIs between steps, as S3 URIs do on AWS. This
  lab prepares a project for Labs 6.5: SDKs, credentials, project and region, a staging bucket,
  the pipeline's service account, and initialised SDKs. Each scenario below is one task: find
  its "# TODO: Lab 6.4.X" marker in vertex_setup.py.

  Background:
    Given the Google Cloud project "mlops-labs-sandbox"

  @lab_6_4_1
  Scenario: 6.4.1 Install SDKs
    When I run the SDK preflight
    Then it reports "google-cloud-aiplatform, google-cloud-bigquery, google-cloud-storage, db-dtypes, pyarrow" as installed, with their versions
    And the environment is ready
    When I run the SDK preflight asking also for "mlops-labs-missing-sdk"
    Then the environment is not ready
    And the install command is "pip3 install --upgrade --quiet mlops-labs-missing-sdk"

  @lab_6_4_2
  Scenario: 6.4.2 Authenticate environment
    When I authenticate
    Then I get working credentials of a service account, for the project "mlops-labs-sandbox"
    When I authenticate in Colab
    Then Colab's sign-in runs before the credentials are looked up
    Given no Google Cloud credentials are configured
    When I authenticate
    Then it is refused with a message containing "gcloud auth application-default login"

  @lab_6_4_3
  Scenario: 6.4.3 Set project information
    When I set the project "mlops-labs-sandbox" in "us-east1"
    Then the project information is "mlops-labs-sandbox" in "us-east1"

  @lab_6_4_3 @bad_input
  Scenario Outline: 6.4.3 A project or location that cannot work is refused
    When I set the project "<project>" in "<location>"
    Then it is refused with a message containing "<message>"

    Examples:
      | project            | location   | message                             |
      | My Churn Project   | us-east1   | is not a project ID                 |
      | mlops-             | us-east1   | is not a project ID                 |
      | google-ml-labs     | us-east1   | project IDs cannot contain 'google' |
      | mlops-labs-sandbox | us-east1-b | that is a zone                      |
      | mlops-labs-sandbox | mars-west1 | is not a Vertex AI location         |

  @lab_6_4_4
  Scenario: 6.4.4 Create the Cloud Storage bucket
    When I create the staging bucket for "user19" in "us-east1"
    Then the bucket "gs://churn-user19-mlops-labs-sandbox-unique" exists in "US-EAST1"
    When I create the staging bucket for "user19" in "us-east1"
    Then the same bucket is reused and the project still has 1 bucket
    When I create the staging bucket for "user19" in "europe-west1"
    Then it is refused with a message containing "exists in US-EAST1, not in EUROPE-WEST1"
    When I create the staging bucket for "User_19" in "us-east1"
    Then it is refused with a message containing "is not a valid bucket name"
    And the project still has 1 bucket

  @lab_6_4_4
  Scenario: 6.4.4 The Lab 6.1 trainer persists to the bucket through the same storage handle
    Given the staging bucket for "user19" in "us-east1" exists
    When I train the Lab 6.1 churn model with the model path "gs://churn-user19-mlops-labs-sandbox-unique/models/churn/"
    Then the model file is stored under that path in Cloud Storage with the run's SHA-256

  @lab_6_4_5
  Scenario: 6.4.5 Configure the service account
    When I configure the service account "vertex-pipeline-executor@mlops-labs-sandbox.iam.gserviceaccount.com"
    Then it is accepted for pipeline execution
    When I configure the service account "vertex-pipeline-executor@another-project.iam.gserviceaccount.com"
    Then it is refused with a message containing "belongs to project 'another-project'"
    When I configure the service account "vertex-pipeline-executor"
    Then it is refused with a message containing "is not a service account email"

  @lab_6_4_6
  Scenario: 6.4.6 Initialize SDKs
    Given the staging bucket for "user19" in "us-east1" exists
    When I initialize the Vertex AI and BigQuery SDKs with the service account "vertex-pipeline-executor@mlops-labs-sandbox.iam.gserviceaccount.com"
    Then Vertex AI uses the project, "us-east1", the staging bucket and the service account, over REST
    And the BigQuery client is for the project "mlops-labs-sandbox" in "us-east1"
    And the BigQuery client reads the public penguins table
