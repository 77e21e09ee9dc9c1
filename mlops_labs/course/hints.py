"""Numbered hints for every task: orient, name the API, then sketch the solution's shape."""

from __future__ import annotations

from ..coursework import catalogue

# Each task's hints go from a nudge to nearly the answer (the exercism style): hint 1 says what
# the task is for and where to look, hint 2 names the calls and their key arguments as the SDKs'
# documentation writes them, hint 3 sketches the solution without copying it.
HINTS: dict[str, tuple[str, ...]] = {
    # Lab 6.1 - S3 artifacts from an EC2/SageMaker trainer (model.py)
    "6.1.1": (
        "A reading task: open mlops_labs/labs/model.py and read the imports under the 6.1.1 "
        "marker. Sort them in three groups: standard library, persistence (the model file) and "
        "cloud (AWS). For each third-party import, ask what a run needs for it to work.",
        "joblib.dump(obj, file) pickles the fitted pipeline to a local file or file object. "
        "boto3.client('s3').upload_file(...) carries a file to S3; boto3.client('sagemaker')."
        "create_model_package(...) registers it; boto3.client('cloudwatch').put_metric_data(...) "
        "publishes metrics. tempfile stages the file, hashlib.sha256 proves integrity.",
        "Worksheet shape: joblib -> writes the model to local disk (needs only a writable "
        "folder). boto3 -> uploads it to Amazon S3 AND registers it with SageMaker (and sends "
        "CloudWatch metrics): it needs AWS credentials, network and IAM permissions. Search "
        "model.py for joblib. and boto3.client( to confirm each answer.",
    ),
    "6.1.2": (
        "train() has two persistence branches on destination.scheme. Yours is the local / dev "
        "one (not s3://): turn the fitted pipeline into bytes and hand them to the storage "
        "handle. Nothing here may touch AWS, and nothing is written outside target.uri.",
        "joblib.dump(pipeline, buffer) with buffer = io.BytesIO() serialises in memory; "
        "dat.get_handle(target.uri).write_bytes(content) writes them (atomically, for local "
        "paths). Return what was stored as PersistedArtifact(uri, sha256, size_bytes), the "
        "SHA-256 from hashlib.sha256(content).hexdigest().",
        "Shape:\n"
        "  buffer = io.BytesIO(); joblib.dump(pipeline, buffer)\n"
        "  content = buffer.getvalue()\n"
        "  dat.get_handle(target.uri).write_bytes(content)\n"
        "  artifact = PersistedArtifact(target.uri, <sha256 of content>, len(content))",
    ),
    "6.1.3": (
        "Two functions: _select_features() applies the rules in its comment in order (first "
        "match wins) and keeps each dropped column with its reason; artifact_name() names the "
        "file after everything that produced it, so equal inputs give an equal name.",
        "pandas: values.nunique(dropna=True) (constant, high cardinality), values.isna().mean() "
        "(mostly missing), pd.api.types.is_numeric_dtype / is_bool_dtype (numeric vs text). "
        "Name: hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12], "
        "recipe holding data SHA-256, label, features, asdict(params), sklearn.__version__.",
        "Loop over frame.columns: skip the label; 'id' or *_id -> dropped 'identifier'; in "
        "params.leakage_columns -> 'leakage'; <= 1 distinct value -> 'constant'; missing share "
        "> max_missing_fraction -> 'mostly missing'; numeric -> numeric; > max_categories -> "
        "'high cardinality'; else categorical. No features left: raise DataError. Name: "
        "f'{MODEL_NAME}-{ALGORITHM}-sklearn<major.minor>-{n}f-{fingerprint}.joblib'.",
    ),
    "6.1.4": (
        "_s3_persist() uploads a local file to an s3:// URI and only returns once S3 provably "
        "holds the same bytes. A missing bucket must be refused in plain words before any "
        "upload: dat.require_bucket(s3, bucket) says \"S3 bucket '...' does not exist\".",
        "s3 = boto3.client('s3'); s3.upload_file(Filename, Bucket, Key, ExtraArgs={"
        "'ChecksumAlgorithm': 'SHA256', 'Metadata': {'sha256': digest}}) is the managed "
        "transfer. s3.head_object(Bucket=, Key=, ChecksumMode='ENABLED')['ChecksumSHA256'] is "
        "base64: the helpers _sha256_file() and _remote_sha256() already do both sides.",
        "Shape:\n"
        "  location = dat.parse_uri(uri)  # refuse a scheme other than s3\n"
        "  digest = _sha256_file(local_path); s3 = boto3.client('s3')\n"
        "  dat.require_bucket(s3, location.bucket); s3.upload_file(..., ExtraArgs=...)\n"
        "  if _remote_sha256(s3, location) != digest: delete_object, raise ArtifactIntegrityError\n"
        "  return PersistedArtifact(location.uri, digest, local_path.stat().st_size)",
    ),
    "6.1.5": (
        "The s3:// branch of train(): an orchestrated run stages the model in a temp file, "
        "uploads it with _s3_persist() and registers it in SageMaker's model registry, pending "
        "manual approval. No temp file may be left, and a failed registration must not leave "
        "an unregistered upload behind.",
        "tempfile.TemporaryDirectory() cleans itself up; joblib.dump(pipeline, path). The "
        "registry call (in _register_model_package) is sagemaker.create_model_package("
        "ModelPackageGroupName=, ModelApprovalStatus='PendingManualApproval', "
        "InferenceSpecification={'Containers': [{'Image': ..., 'ModelDataUrl': uri}], ...}, "
        "CustomerMetadataProperties={'artifact_sha256': ...}).",
        "Shape:\n"
        "  with tempfile.TemporaryDirectory() as staging:\n"
        "      joblib.dump(pipeline, Path(staging) / name)\n"
        "      artifact = _s3_persist(Path(staging) / name, target.uri)\n"
        "  try: package_arn = _register_model_package(artifact, name, features, metrics, group)\n"
        "  except Exception: delete the uploaded object (target.bucket, target.path); raise",
    ),
    "6.1.6": (
        "The end of train(): replace print-style logging with one structured record that tools "
        "can query, and, for s3:// (orchestrated) runs, the same numbers in CloudWatch. A local "
        "run has no AWS identity to publish with: it only logs.",
        "LOG.info(message, *args, extra={...}) puts fields on the LogRecord; the scenario reads "
        "event='training_complete', elapsed_s, n_features, artifact_uri and metrics. CloudWatch: "
        "boto3.client('cloudwatch').put_metric_data(Namespace=metrics_namespace, MetricData=[{"
        "'MetricName', 'Value', 'Unit', 'Dimensions'}]), already wrapped by _publish_metrics().",
        "Shape:\n"
        "  LOG.info('training complete: ...', ..., extra={'event': 'training_complete',\n"
        "      'elapsed_s': ..., 'n_features': len(features.columns),\n"
        "      'artifact_uri': artifact.uri, 'metrics': metrics})\n"
        "  if destination.scheme == 's3':\n"
        "      _publish_metrics(metrics_namespace, model_package_group, metrics, n, elapsed)",
    ),
    # Lab 6.2 - Redshift in an ML pipeline (ingest_model.py)
    "6.2.1": (
        "_read_from_redshift() reads a table into pandas as a dict describes it (columns, "
        "where, order_by, limit). select_sql_from_dict() builds the SQL; read_with_data_api() "
        "does the same read through the Redshift Data API. Names and values must never be "
        "pasted into SQL text: that is how injection happens.",
        "quote_identifier(name) checks and double-quotes a name; values become %s placeholders "
        "with a params list; ingest.read_sql(sql, params) runs pd.read_sql. Data API: "
        "boto3.client('redshift-data').execute_statement(Sql=, Database=, Parameters=[{'name', "
        "'value'}]), describe_statement(Id=) until Status is FINISHED (or FAILED/ABORTED), then "
        "get_paginator('get_statement_result') for ColumnMetadata and Records.",
        "Shape:\n"
        "  sql, params = select_sql_from_dict(table, spec or {})\n"
        "  return ingest.read_sql(sql, params)\n"
        "select_sql_from_dict: refuse unknown keys; SELECT <quoted columns or *> FROM <quoted "
        "table>; col = %s, col IN (%s, ...), col IS NULL; ORDER BY quoted names; LIMIT only a "
        "non-negative int.",
    ),
    "6.2.2": (
        "prepare_redshift_training() maps ETL steps to SQL that runs in the warehouse: roll the "
        "daily activity table up per customer, store that roll-up in a materialized view, and "
        "join it to customers into the training table churn_training.",
        "ingest.pre_aggregate('activity', keys=[...], measures={alias: SQL}) returns a GROUP BY "
        "query; create_materialized_view(name, query) then refresh_materialized_view(name) run "
        "CREATE / REFRESH MATERIALIZED VIEW; ingest.ctas(table, query, distkey=, sortkey=[...]) "
        "runs CREATE TABLE ... DISTKEY (...) SORTKEY (...) AS SELECT.",
        "Shape: rollup = pre_aggregate over activity (COUNT(DISTINCT activity_date), "
        "SUM(minutes_used), SUM(data_gb), SUM(support_tickets) ...); view ACTIVITY_VIEW; then "
        "ctas(TRAINING_TABLE, 'SELECT c.<features>, NVL(a.active_days, 0) AS active_days, ..., "
        "c.churned FROM customers c LEFT JOIN mv a ON ...', distkey='customer_id', "
        "sortkey=['customer_id']). LEFT JOIN + NVL keeps customers with no activity.",
    ),
    "6.2.3": (
        "orchestration_hint_tasks() describes the pipeline extract -> transform -> stage -> "
        "train -> register as a dependency graph: each task names what it needs first and its "
        "counterpart in three AWS and three Google Cloud orchestrators.",
        "Build PipelineTask(name, does, depends_on, aws={'step_functions', 'airflow', "
        "'sagemaker_pipelines'}, google_cloud={'vertex_ai_pipelines', 'cloud_composer', "
        "'workflows'}). step_functions_definition() takes the Step Functions value's first word "
        "as the state's Resource, so start it with an ARN such as "
        "arn:aws:states:::sagemaker:createTrainingJob.sync.",
        "Shape:\n"
        "  tasks = [PipelineTask('extract', 'COPY ...', (), aws={...}, google_cloud={...}),\n"
        "           PipelineTask('transform', ..., ('extract',), ...), ... 'register']\n"
        "  order = topological_order(tasks)\n"
        "  return [by_name[name] for name in order]",
    ),
    "6.2.4": (
        "stage_table_to_s3() stages a table with UNLOAD (each slice writes its own files, plus "
        "a manifest); quick_sample_pipeline() pulls the rows through the client and uploads one "
        "object. Both report rows, bytes and seconds, so the two ways can be compared.",
        "Redshift: UNLOAD ('SELECT ...') TO 's3://prefix' IAM_ROLE default FORMAT AS PARQUET "
        "MANIFEST PARALLEL ON, via ingest.unload(query, s3_prefix, fmt=, parallel=, header=, "
        "manifest=True, allow_overwrite=). The manifest at s3_prefix + 'manifest' is JSON: "
        "entries[].url and entries[].meta.content_length. Never add ALLOWOVERWRITE by default.",
        "UNLOAD: rows = ingest.unload(f'SELECT * FROM {quote_identifier(table)}', ...); read the "
        "manifest with dat.get_handle(...).read_bytes(); StagedData(uri, files, rows, bytes, "
        "seconds, method='unload'). Client-side: _read_from_redshift(ingest, table, {'limit': "
        "n}), frame.to_parquet(buffer, index=False) or to_csv, dat.get_handle(s3_uri)."
        "write_bytes(...), method='client-side', requests=1.",
    ),
    "6.2.5": (
        "The return of prepare_redshift_training() hands the training table to a trainer two "
        "ways: a DataFrame in memory (a notebook) and one CSV staged in S3 that Lab 6.1's "
        "train() reads (an orchestrated job).",
        "_read_from_redshift(ingest, TRAINING_TABLE, {'order_by': ['customer_id']}) gives the "
        "DataFrame; stage_table_to_s3(ingest, TRAINING_TABLE, s3_prefix, fmt='CSV', "
        "parallel=False, header=True) writes it: PARALLEL OFF makes one file, HEADER lets the "
        "trainer find the label column 'churned'.",
        "Shape:\n"
        "  frame = _read_from_redshift(...)\n"
        "  staged = stage_table_to_s3(..., fmt='CSV', parallel=False, header=True)\n"
        "  return frame, staged.files[0]   # the one file's s3:// URI, not the prefix",
    ),
    "6.2.6": (
        "teaching_checklist() lists what to watch (monitoring signals) and what costs money "
        "(cost drivers), each with where AWS shows it, its Google Cloud twin, and this run's "
        "numbers for the statements after since_query_id.",
        "Query Redshift's SYS views with ingest.read_sql(sql, [since_query_id]) and 'query_id "
        "> %s': sys_query_history (elapsed_time in microseconds, status), sys_query_detail "
        "(input_rows, input_bytes where step_name = 'scan'), sys_load_history (loaded_rows, "
        "loaded_bytes), sys_unload_history (unloaded_rows, unloaded_files_size).",
        "Return ChecklistItem(kind, signal, aws, google_cloud, measured) for: monitoring 'query "
        "time', 'rows and bytes loaded'; cost 'bytes scanned', 'bytes unloaded to S3', "
        "'client-side transfer (egress outside the region)', 'cluster use'. The client-side "
        "bytes come from the staged items whose method == 'client-side'. Turn NULL sums into 0.",
    ),
    # Lab 6.4 - Cloud Storage and Vertex AI set-up (vertex_setup.py)
    "6.4.1": (
        "preflight() checks the SDKs the workshop's pip line installs before anything fails "
        "late: each package's installed version against REQUIRED_SDKS / RECOMMENDED_SDKS. The "
        "Preflight it returns already builds the install command from what is missing.",
        "importlib.metadata.version(package) gives the installed version and raises "
        "metadata.PackageNotFoundError when it is absent. Record each as SdkStatus(package, "
        "installed or None, minimum, required).",
        "Shape:\n"
        "  required = REQUIRED_SDKS if required is None else required (same for recommended)\n"
        "  for packages, is_required in ((required, True), (recommended, False)):\n"
        "      for package, minimum in packages.items(): look up the version, append SdkStatus\n"
        "  return Preflight(tuple(statuses))",
    ),
    "6.4.2": (
        "authenticate() finds credentials the way every Google client library does "
        "(application-default credentials), signs the user in first when running in Colab, and "
        "fetches a token now so bad credentials fail here, not at the first API call.",
        "google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE]) returns (credentials, project) or "
        "raises google.auth.exceptions.DefaultCredentialsError; credentials.refresh("
        "google.auth.transport.requests.Request()) gets the token. Colab: "
        "from google.colab import auth; auth.authenticate_user().",
        "Shape:\n"
        "  if 'google.colab' in sys.modules: auth.authenticate_user()  # before default()\n"
        "  try: credentials, project = google.auth.default(scopes=[...])\n"
        "  except DefaultCredentialsError: raise SetupError('... `gcloud auth "
        "application-default login` ...')\n"
        "  credentials.refresh(Request()); return Authenticated(credentials, project, kind, id)",
    ),
    "6.4.3": (
        "project_info() checks PROJECT_ID and LOCATION before any call uses them: a display "
        "name instead of an ID, or a zone instead of a region, otherwise fails later as a "
        "confusing 403 or 404.",
        "The module has the rules: _PROJECT_ID (6-30 chars, lower-case letters, digits, "
        "hyphens, starting with a letter, not ending with a hyphen), _RESTRICTED words such as "
        "'google', and VERTEX_AI_LOCATIONS (regions). A zone looks like us-east1-b: "
        "re.match(r'.*\\d-[a-z]$', location).",
        'Shape: not _PROJECT_ID.match -> SetupError("... is not a project ID ..."); a '
        "restricted word inside -> \"project IDs cannot contain 'google'\"; location not in "
        'VERTEX_AI_LOCATIONS -> "... is not a Vertex AI location" plus "(that is a zone: '
        '...)" for a zone; else return ProjectInfo(project_id, location).',
    ),
    "6.4.4": (
        "create_bucket() makes the staging bucket gs://churn-<user>-<project>-unique in the "
        "project's region. Running it again reuses the bucket; one in another region, or a "
        "name Cloud Storage forbids, is refused before anything is created.",
        "from google.cloud import storage; client = storage.Client(project=info.project_id); "
        "client.lookup_bucket(name) returns the Bucket or None (its .location is upper-case, "
        "e.g. US-EAST1); client.create_bucket(name, location=info.location). A name taken by "
        "another project raises google.api_core.exceptions.Conflict.",
        "Shape: name = uri minus 'gs://'; _bucket_name_problem(name) -> SetupError('... is not "
        "a valid bucket name: ...'); existing = client.lookup_bucket(name); if existing: "
        "compare existing.location.lower() with info.location.lower() (refuse 'exists in "
        "US-EAST1, not in EUROPE-WEST1') else return it; otherwise create_bucket(...).",
    ),
    "6.4.5": (
        "service_account() checks SERVICE_ACCOUNT: Vertex AI pipelines run as this identity, "
        "so it must be a user-managed service account email of the lab's own project.",
        "The pattern is NAME@PROJECT.iam.gserviceaccount.com; the module's _SERVICE_ACCOUNT "
        "regex has the named groups 'name' and 'project'. Compare found['project'] with "
        "info.project_id.",
        "Shape:\n"
        "  found = _SERVICE_ACCOUNT.match(email or '')\n"
        "  if not found: SetupError(\"'...' is not a service account email: write it as ...\")\n"
        "  if found['project'] != info.project_id:\n"
        "      SetupError(\"... belongs to project 'other', not ...\")\n"
        "  return email",
    ),
    "6.4.6": (
        "init_sdks() sets Vertex AI's defaults once (project, region, staging bucket, service "
        "account) and makes the BigQuery client every later lab uses. Neither makes a network "
        "call, so wrong values only show at first use.",
        "aiplatform.init(project=, location=, staging_bucket=, service_account=, api_endpoint=, "
        "api_transport='rest') and bigquery.Client(project=, location=). REST is plain HTTPS "
        "that the offline sandbox can answer; gRPC is not.",
        "Shape:\n"
        "  from google.cloud import aiplatform, bigquery\n"
        "  aiplatform.init(project=info.project_id, location=info.location,\n"
        "      staging_bucket=staging_bucket, service_account=account,\n"
        "      api_endpoint=api_endpoint, api_transport='rest')\n"
        "  return Sdks(aiplatform, bigquery.Client(project=..., location=...))",
    ),
    # Lab 6.5 - BigQuery ML (bqml.py)
    "6.5.1": (
        "create_dataset() makes the dataset that will hold the model, in the US multi-region "
        "where the public penguins table lives (a query reads one location only). Running it "
        "twice must keep one dataset.",
        "DDL: CREATE SCHEMA IF NOT EXISTS `project.dataset` OPTIONS(location = 'US'). Run it "
        "with client.query_and_wait(sql, location=DATA_LOCATION); client.get_dataset("
        "'project.dataset') returns the bigquery.Dataset.",
        "Shape:\n"
        '  client.query_and_wait(f"CREATE SCHEMA IF NOT EXISTS `{client.project}.{dataset}` "\n'
        "                        f\"OPTIONS(location = '{DATA_LOCATION}')\", location=...)\n"
        "  return client.get_dataset(f'{client.project}.{dataset}')",
    ),
    "6.5.2": (
        "create_model_sql() returns the CREATE MODEL statement and train_model() runs it. The "
        "workshop's text writes labels=['species'] and BigQuery refuses it: in BigQuery ML "
        "`labels` are resource labels (ARRAY<STRUCT<STRING, STRING>>), not the label column.",
        "CREATE OR REPLACE MODEL `dataset.model` OPTIONS(model_type = 'DNN_CLASSIFIER', "
        "input_label_cols = ['species']) AS SELECT * FROM "
        "`bigquery-public-data.ml_datasets.penguins` (PENGUINS_TABLE). Training is a query job: "
        "client.query_and_wait(sql, location=DATA_LOCATION), then client.get_model(model_id).",
        "Shape:\n"
        "  create_model_sql: return the statement above with dataset, model and PENGUINS_TABLE\n"
        "  train_model:\n"
        "      client.query_and_wait(create_model_sql(dataset, model), location=DATA_LOCATION)\n"
        "      return client.get_model(f'{client.project}.{dataset}.{model}')",
    ),
    "6.5.3": (
        "evaluate_model() runs the workshop's ML.EVALUATE query and returns its one row as a "
        "dict: precision, recall, accuracy, f1_score, log_loss and roc_auc.",
        "SQL: SELECT * FROM ML.EVALUATE(MODEL `dataset.model`) ORDER BY roc_auc DESC LIMIT 1. "
        "client.query_and_wait(sql, location=DATA_LOCATION) returns a RowIterator of Row "
        "objects; Row.items() gives (column, value) pairs.",
        "Shape:\n"
        "  rows = list(client.query_and_wait(<the SQL>, location=DATA_LOCATION))\n"
        "  if not rows: raise LookupError('ML.EVALUATE returned no row ...')\n"
        "  return dict(rows[0].items())",
    ),
    "6.5.4": (
        "export_model() copies the trained model out of BigQuery into Cloud Storage, under "
        "<bucket_uri>/models/<model>/, so any serving stack (Vertex AI next) can load it. The "
        "bucket check above the marker is done for you.",
        "SQL: EXPORT MODEL `dataset.model` OPTIONS(URI = 'gs://BUCKET/models/MODEL/'), run as a "
        "query job with client.query_and_wait(sql, location=DATA_LOCATION). A missing model "
        "makes BigQuery raise NotFound ('Not found: Model'): let it propagate.",
        "Shape:\n"
        "  destination = f\"{bucket_uri.rstrip('/')}/models/{model}/\"\n"
        '  client.query_and_wait(f"EXPORT MODEL `{dataset}.{model}` "\n'
        "                        f\"OPTIONS(URI = '{destination}')\", location=DATA_LOCATION)\n"
        "  return destination   # keep the trailing slash",
    ),
    "6.5.5": (
        "register_model() uploads the exported folder to the Vertex AI Model Registry: version 1 "
        "the first time, the next version of parent_model after, with the 'default' alias moved "
        "to the newest. Compare SageMaker's package group and package in Lab 6.1.5.",
        "aiplatform.Model.upload(display_name=, artifact_uri=<the export folder>, "
        "serving_container_image_uri=SERVING_IMAGE, parent_model=, is_default_version=True, "
        "labels={'source': 'bigquery-ml'}). Here labels are resource labels (a dict), the very "
        "thing 6.5.2's labels= meant.",
        "Shape:\n"
        "  return aiplatform.Model.upload(\n"
        "      display_name=display_name, artifact_uri=artifact_uri,\n"
        "      serving_container_image_uri=SERVING_IMAGE, parent_model=parent_model,\n"
        "      is_default_version=True, labels={'source': 'bigquery-ml'})",
    ),
    "6.5.6": (
        "deploy_and_predict() serves the registered model from a new endpoint, predicts, and "
        "always tears the endpoint down, also when predict fails (a bad instance): an endpoint "
        "with a deployed model is billed per node-hour.",
        "aiplatform.Endpoint.create(display_name=); model.deploy(endpoint=, machine_type=, "
        "min_replica_count=1, max_replica_count=1); endpoint.predict(instances=[{column: "
        "value}, ...]).predictions; endpoint.undeploy_all() and endpoint.delete().",
        "Shape:\n"
        "  endpoint = aiplatform.Endpoint.create(display_name=...)\n"
        "  try:\n"
        "      model.deploy(endpoint=endpoint, machine_type=machine_type, ...)\n"
        "      return [dict(p) for p in endpoint.predict(instances=instances).predictions]\n"
        "  finally: endpoint.undeploy_all(); endpoint.delete()",
    ),
}


def hints_for(task_id: str) -> tuple[str, ...]:
    """The hints of ``task_id``, first to last; an unknown id raises UnknownTask."""
    # The catalogue owns the list of valid ids and the one-line error that names them.
    task = catalogue.task(task_id)
    return HINTS.get(task.id, ())
