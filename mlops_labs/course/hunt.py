"""The scavenger hunt: every task marker in the lab code, a worksheet to fill in, and its grading.

A learner finds each ``# TODO: Lab X.Y.Z - Title`` marker and writes down WHERE it is (file and
function), WHAT the code there does and WHY. WHERE is graded exactly; WHAT by the task's key
terms (half of them, at least one, in any case); WHY is listed for the instructor to read.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from ..coursework import catalogue
from ..coursework.catalogue import Task
from ..coursework.solution_regions import MARKER
from ..errors import KitError

WORKSHEET = "WORKSHEET.md"
# What a WHAT answer must mention, per task: the calls, statements and ideas the task is about.
KEY_TERMS: dict[str, tuple[str, ...]] = {
    "6.1.1": ("joblib", "boto3", "local", "S3"),
    "6.1.2": ("get_handle", "local", "S3", "SageMaker"),
    "6.1.3": ("features", "selection", "artifact", "name"),
    "6.1.4": ("upload_file", "S3", "checksum", "SHA-256"),
    "6.1.5": ("upload", "model package", "approval", "SHA-256"),
    "6.1.6": ("LOG", "metrics", "CloudWatch", "structured"),
    "6.2.1": ("SQL", "columns", "quoted", "bound"),
    "6.2.2": ("ETL", "aggregate", "materialized view", "REFRESH"),
    "6.2.3": ("dependency", "Step Functions", "Airflow", "order"),
    "6.2.4": ("UNLOAD", "S3", "Parquet", "parallel"),
    "6.2.5": ("DataFrame", "CSV", "S3", "train"),
    "6.2.6": ("cost", "SYS", "bytes scanned", "query time"),
    "6.4.1": ("pip", "install", "google-cloud-aiplatform", "version"),
    "6.4.2": ("credentials", "authenticate", "Colab", "google.auth"),
    "6.4.3": ("PROJECT_ID", "LOCATION", "region", "project"),
    "6.4.4": ("bucket", "gs://", "location", "create"),
    "6.4.5": ("service account", "email", "IAM", "pipeline"),
    "6.4.6": ("aiplatform.init", "bigquery.Client", "project", "staging"),
    "6.5.1": ("CREATE SCHEMA", "dataset", "location", "US"),
    "6.5.2": ("CREATE MODEL", "DNN_CLASSIFIER", "input_label_cols", "species"),
    "6.5.3": ("ML.EVALUATE", "accuracy", "roc_auc", "precision"),
    "6.5.4": ("EXPORT MODEL", "gs://", "Cloud Storage", "URI"),
    "6.5.5": ("Model.upload", "registry", "version", "artifact"),
    "6.5.6": ("deploy", "endpoint", "predict", "undeploy"),
}


class WorksheetError(KitError):
    """A worksheet that is missing or cannot be read."""


@dataclass(frozen=True)
class Marker:
    """Where one task's marker sits in the lab code."""

    task: Task
    file: str
    line: int
    function: str | None


@dataclass(frozen=True)
class Answer:
    """One worksheet entry, as the learner wrote it."""

    task_id: str
    where: str
    what: str
    why: str


@dataclass(frozen=True)
class Grade:
    """One entry graded: WHERE and WHAT right or not, and why not."""

    task: Task
    where_ok: bool
    what_ok: bool
    missing_terms: tuple[str, ...]
    why: str
    problem: str | None = None

    @property
    def passed(self) -> bool:
        """Both WHERE and WHAT are right."""
        return self.where_ok and self.what_ok


def find_markers(labs_dir: Path) -> list[Marker]:
    """Every task marker in the lab files of ``labs_dir``, in catalogue order."""
    found: dict[str, Marker] = {}
    known = catalogue_ids()
    for path in sorted(labs_dir.glob("*.py")):
        source = path.read_text()
        functions = _functions(source)
        for number, text in enumerate(source.splitlines(), start=1):
            match = MARKER.search(text)
            if match is None or match["id"] not in known:
                continue
            task = catalogue.task(match["id"])
            found[task.id] = Marker(task, path.name, number, _enclosing(functions, number))
    return [found[t.id] for t in catalogue.all_tasks() if t.id in found]


def catalogue_ids() -> set[str]:
    """The ids of every task in the catalogue."""
    return {task.id for task in catalogue.all_tasks()}


def worksheet_template(markers: list[Marker]) -> str:
    """The blank worksheet a new workspace starts with: one section per task."""
    lines = [
        "# Scavenger hunt worksheet",
        "",
        "Find each `# TODO: Lab X.Y.Z - Title` marker in the lab code (`mlops-labs hunt` lists",
        "them). Under each task write WHERE it is (`file.py: function`), WHAT the code there does",
        "and WHY it matters. Grade it with `mlops-labs hunt --check WORKSHEET.md`.",
        "",
    ]
    for marker in markers:
        lines += [
            f"## {marker.task.id} {marker.task.title}",
            "",
            "WHERE: ",
            "WHAT: ",
            "WHY: ",
            "",
        ]
    return "\n".join(lines)


_SECTION = re.compile(r"^##\s+(?P<id>\d+\.\d+\.\d+)\b")
_FIELD = re.compile(r"^(?P<name>WHERE|WHAT|WHY)\s*:\s*(?P<text>.*)$", re.IGNORECASE)


def read_worksheet(path: Path) -> dict[str, Answer]:
    """The answers in a worksheet, by task id; a WorksheetError naming the entry if malformed."""
    if not path.is_file():
        raise WorksheetError(
            f"no worksheet at {path}: `mlops-labs start` writes one ({WORKSHEET}) in a workspace"
        )
    answers: dict[str, dict[str, str]] = {}
    current: str | None = None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        section = _SECTION.match(line)
        if section:
            current = section["id"]
            if current not in catalogue_ids():
                raise WorksheetError(
                    f"{path.name}:{number}: '{current}' is not a task id; valid ids are "
                    f"{', '.join(sorted(catalogue_ids()))}"
                )
            if current in answers:
                raise WorksheetError(f"{path.name}:{number}: task {current} appears twice")
            answers[current] = {"WHERE": "", "WHAT": "", "WHY": ""}
            continue
        field = _FIELD.match(line.strip())
        if field and current is not None:
            answers[current][field["name"].upper()] = field["text"].strip()
        elif field:
            raise WorksheetError(
                f"{path.name}:{number}: {field['name'].upper()} comes before any "
                "'## X.Y.Z Title' heading: put each answer under its task's heading"
            )
    return {
        task_id: Answer(task_id, fields["WHERE"], fields["WHAT"], fields["WHY"])
        for task_id, fields in answers.items()
    }


def grade(answers: dict[str, Answer], markers: list[Marker]) -> list[Grade]:
    """Every task with a marker graded, in catalogue order (an empty answer fails)."""
    grades = []
    for marker in markers:
        answer = answers.get(marker.task.id)
        if answer is None:
            grades.append(Grade(marker.task, False, False, (), "", "no entry in the worksheet"))
            continue
        if not answer.where and not answer.what:
            grades.append(Grade(marker.task, False, False, (), answer.why, "not answered yet"))
            continue
        where_ok = _where_matches(answer.where, marker)
        terms = KEY_TERMS.get(marker.task.id, ())
        missing = tuple(t for t in terms if t.lower() not in answer.what.lower())
        needed = max(1, len(terms) // 2)
        what_ok = bool(answer.what) and len(terms) - len(missing) >= needed
        grades.append(Grade(marker.task, where_ok, what_ok, missing, answer.why))
    return grades


def _where_matches(text: str, marker: Marker) -> bool:
    words = set(re.findall(r"[A-Za-z_][\w.]*", text.lower()))
    file_ok = marker.file.lower() in words
    if marker.function is None:
        return file_ok
    names = {w.removesuffix("()") for w in words}
    return file_ok and marker.function.lower() in names


def _functions(source: str) -> list[tuple[int, int, str]]:
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            spans.append((node.lineno, node.end_lineno or node.lineno, node.name))
    return spans


def _enclosing(functions: list[tuple[int, int, str]], line: int) -> str | None:
    inside = [(start, name) for start, end, name in functions if start <= line <= end]
    return max(inside)[1] if inside else None
