# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Labs 6.4 and 6.5: Vertex AI set-up and BigQuery ML
#
# The workshop's notebook, one cell per task. Each cell calls the lab code you complete in
# `labs/vertex_setup.py` and `labs/bqml.py` (find its `# TODO: Lab 6.X.Y` marker), so what
# runs here is what `mlops-labs check` grades.
#
# - **Offline** (no account): run `mlops-labs sandbox` in a terminal and start Jupyter from a
#   shell where you pasted its settings; every call below goes to the local sandboxes.
# - **Your project / Colab**: install this kit (`pip install -e .` from its folder), set
#   `PROJECT_ID` and `USER` below; in Colab, task 6.4.2 signs you in with
#   `auth.authenticate_user()` (only where Colab runs).

# %%
import os
import sys
from pathlib import Path

# The lab code: a workspace's labs/ (made by `mlops-labs start`) if this notebook sits in one,
# else the kit's reference solution.
WORKSPACE_LABS = Path.cwd() / "labs"
if (WORKSPACE_LABS / "vertex_setup.py").is_file():
    from mlops_labs.coursework.lab_code import LabCode

    code = LabCode(WORKSPACE_LABS)
    vertex_setup, bqml = code.module("vertex_setup"), code.module("bqml")
else:
    from mlops_labs.labs import bqml, vertex_setup

PROJECT_ID = os.environ.get("GOOGLE_CLOUD_PROJECT", "your-project-id")
LOCATION = "us-east1"
USER = "user19"
# Only the offline sandbox sets this; against Google Cloud it stays None.
VERTEX_AI_API_ENDPOINT = os.environ.get("VERTEX_AI_API_ENDPOINT")
print(f"project {PROJECT_ID}, location {LOCATION}, Colab: {'google.colab' in sys.modules}")

# %% [markdown]
# ## Task 6.4.1: Install SDKs
# In Colab or a fresh environment first run:
# `%pip install --upgrade --quiet pyarrow google-cloud-aiplatform google-cloud-bigquery
# google-cloud-bigquery-storage db-dtypes`. The preflight says what is missing, and the command.

# %%
report = vertex_setup.preflight()
for sdk in report.sdks:
    print(f"{sdk.package:32} {sdk.installed or 'missing'}")
print("ready" if report.ready else f"install first: {report.install_command}")

# %% [markdown]
# ## Task 6.4.2: Authenticate environment

# %%
signed_in = vertex_setup.authenticate()
print(f"{signed_in.kind}: {signed_in.identity}, project {signed_in.project}")

# %% [markdown]
# ## Tasks 6.4.3 to 6.4.6: project, bucket, service account, SDKs

# %%
info = vertex_setup.project_info(PROJECT_ID, LOCATION)
BUCKET_URI = vertex_setup.bucket_uri(PROJECT_ID, USER)
bucket = vertex_setup.create_bucket(BUCKET_URI, info)
SERVICE_ACCOUNT = vertex_setup.service_account(
    f"vertex-pipeline-executor@{PROJECT_ID}.iam.gserviceaccount.com", info
)
sdks = vertex_setup.init_sdks(
    info, BUCKET_URI, SERVICE_ACCOUNT, api_endpoint=VERTEX_AI_API_ENDPOINT
)
bqclient = sdks.bigquery
print(BUCKET_URI, SERVICE_ACCOUNT)

# %% [markdown]
# ## Tasks 6.5.1 to 6.5.3: dataset, CREATE MODEL, ML.EVALUATE

# %%
bqml.create_dataset(bqclient)
model = bqml.train_model(bqclient)
metrics = bqml.evaluate_model(bqclient)
print(model.model_type, {name: round(value, 3) for name, value in metrics.items()})

# %% [markdown]
# ## Tasks 6.5.4 to 6.5.6: export, register, deploy and predict (then tear down)

# %%
export = bqml.export_model(bqclient, BUCKET_URI)
registered = bqml.register_model(export)
penguin = {
    "island": "Biscoe",
    "culmen_length_mm": 48.6,
    "culmen_depth_mm": 16.0,
    "flipper_length_mm": 230.0,
    "body_mass_g": 5800.0,
    "sex": "MALE",
}
predictions = bqml.deploy_and_predict(registered, [penguin])
print(export, registered.resource_name)
print(predictions[0]["classes"][0])
