"""BigQuery REST resources as the API shapes them: datasets, tables, jobs and their parts.

Every builder returns what validates against the v2 discovery document's schema of that
resource: 64-bit numbers and times (milliseconds since the epoch) as decimal strings.
"""

from __future__ import annotations

import re
from typing import Any

from .models import Catalog, Dataset, Job, Table, etag_of
from .sql import TableName

API = "/bigquery/v2/projects"


def table_resource(table: Table, base: str, catalog: Catalog) -> dict[str, Any]:
    """The Table resource, with its live row count and logical size."""
    resource: dict[str, Any] = {
        "kind": "bigquery#table",
        "id": f"{table.project}:{table.dataset_id}.{table.table_id}",
        "selfLink": f"{base}{API}/{table.project}/datasets/{table.dataset_id}/tables/"
        f"{table.table_id}",
        "tableReference": table_reference(table.name),
        "schema": {"fields": [f.to_api() for f in table.fields]},
        "creationTime": str(table.created_ms),
        "lastModifiedTime": str(table.modified_ms),
        "type": "MATERIALIZED_VIEW" if table.materialized else table.kind,
        "location": catalog.datasets[(table.project, table.dataset_id)].location,
    }
    if table.materialized:
        resource["materializedView"] = {"query": table.view_query or "", "enableRefresh": True}
    elif table.kind == "VIEW":
        resource["view"] = {"query": table.view_query or "", "useLegacySql": False}
    else:
        size = str(catalog.num_bytes(table))
        resource.update(
            numRows=str(catalog.num_rows(table)),
            numBytes=size,
            numLongTermBytes="0",
            numTotalLogicalBytes=size,
            numActiveLogicalBytes=size,
            numLongTermLogicalBytes="0",
        )
    for key, value in (
        ("description", table.description),
        ("friendlyName", table.friendly_name),
        ("expirationTime", table.expiration_ms),
    ):
        if value is not None:
            resource[key] = value
    if table.labels:
        resource["labels"] = table.labels
    resource["etag"] = etag_of({k: v for k, v in resource.items() if not k.startswith("num")})
    return resource


def job_resource(job: Job, base: str) -> dict[str, Any]:
    """The Job resource: configuration as given, its state, statistics of what ran."""
    status: dict[str, Any] = {"state": job.state}
    if job.state == "DONE" and job.error is not None:
        status["errorResult"] = job.error.error_proto()
        status["errors"] = [job.error.error_proto()]
    statistics: dict[str, Any] = {
        "creationTime": str(job.created_ms),
        "startTime": str(job.started_ms or job.created_ms),
        "endTime": str(job.ended_ms or job.created_ms),
    }
    if job.job_type == "QUERY":
        statistics["totalBytesProcessed"] = str(job.result.bytes_processed if job.result else 0)
        statistics["query"] = query_statistics(job)
    elif job.load_statistics is not None:
        statistics["load"] = job.load_statistics
    elif job.extract_statistics is not None:
        statistics["extract"] = job.extract_statistics
    resource = {
        "kind": "bigquery#job",
        "id": job.full_id,
        "selfLink": f"{base}{API}/{job.project}/jobs/{job.job_id}?location={job.location}",
        "jobReference": job_reference(job),
        "configuration": job.configuration,
        "status": status,
        "statistics": statistics,
    }
    resource["etag"] = etag_of(resource)
    return resource


def query_statistics(job: Job) -> dict[str, Any]:
    """A query job's statistics.query: what ran and what it touched."""
    result = job.result
    stats: dict[str, Any] = {
        "totalBytesProcessed": "0",
        "totalBytesBilled": "0",
        "cacheHit": False,
        "totalSlotMs": "0",
    }
    if result is None:
        return stats
    stats["totalBytesProcessed"] = str(result.bytes_processed)
    stats["totalBytesBilled"] = str(result.bytes_billed)
    stats["statementType"] = result.statement_type
    if result.fields is not None:
        stats["schema"] = {"fields": [f.to_api() for f in result.fields]}
    if result.num_dml_affected_rows is not None:
        stats["numDmlAffectedRows"] = str(result.num_dml_affected_rows)
    if result.dml_stats:
        stats["dmlStats"] = result.dml_stats
    if result.ddl_operation:
        stats["ddlOperationPerformed"] = result.ddl_operation
    if result.ddl_target_table:
        stats["ddlTargetTable"] = table_reference(result.ddl_target_table)
    if result.ddl_target_dataset:
        stats["ddlTargetDataset"] = dataset_reference(result.ddl_target_dataset)
    if result.ml_statistics:
        stats["mlStatistics"] = result.ml_statistics
    if result.export_statistics:
        stats["exportDataStatistics"] = result.export_statistics
    if result.referenced_tables:
        unique = list(dict.fromkeys(result.referenced_tables))
        stats["referencedTables"] = [table_reference(name) for name in unique]
    return stats


def partial(body: dict[str, Any], fields: str) -> dict[str, Any]:
    """The members a ``fields`` selection asks for (top level: ``a,b/c,d(e)`` keeps a, b, d)."""
    wanted = {re.split(r"[/(]", name.strip())[0] for name in _top_level(fields)}
    return {key: value for key, value in body.items() if key in wanted}


def _top_level(fields: str) -> list[str]:
    names, depth, current = [], 0, ""
    for char in fields:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    return [*names, current]


def dataset_resource(dataset: Dataset, base: str) -> dict[str, Any]:
    """The Dataset resource."""
    resource: dict[str, Any] = {
        "kind": "bigquery#dataset",
        "id": f"{dataset.project}:{dataset.dataset_id}",
        "selfLink": f"{base}{API}/{dataset.project}/datasets/{dataset.dataset_id}",
        "datasetReference": dataset_reference(dataset.name),
        "location": dataset.location,
        "creationTime": str(dataset.created_ms),
        "lastModifiedTime": str(dataset.modified_ms),
        "type": "DEFAULT",
    }
    for key, value in (
        ("description", dataset.description),
        ("friendlyName", dataset.friendly_name),
        ("defaultTableExpirationMs", dataset.default_table_expiration_ms),
    ):
        if value is not None:
            resource[key] = value
    if dataset.labels:
        resource["labels"] = dict(dataset.labels)
    resource["etag"] = etag_of(resource)
    return resource


def dataset_reference(name: TableName) -> dict[str, str]:
    """A DatasetReference."""
    return {"projectId": name.project, "datasetId": name.dataset}


def table_reference(name: TableName) -> dict[str, str]:
    """A TableReference."""
    return {"projectId": name.project, "datasetId": name.dataset, "tableId": name.table}


def job_reference(job: Job) -> dict[str, str]:
    """A JobReference."""
    return {"projectId": job.project, "jobId": job.job_id, "location": job.location}
