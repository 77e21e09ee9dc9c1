"""The course a syllabus shows: catalogue labs and tasks, the workshop's facts, the scenarios."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.parser import Feature, ScenarioTemplate

from ..access import labs as access_labs
from ..access import summary
from ..access.summary import LabAccess
from ..coursework import catalogue
from ..coursework.catalogue import Lab, Task
from . import feature_files, syllabus_facts
from .syllabus_facts import LabFacts

TITLE = "MLOps labs: from AWS to Google Cloud"
AUDIENCE = (
    "For engineers moving ML pipelines from AWS (Amazon S3, SageMaker, Redshift) to Google "
    "Cloud (Cloud Storage, Vertex AI, BigQuery ML), and for the instructors who teach them. "
    "Every task is real lab code with Gherkin scenarios that prove it works, and everything "
    "runs offline on one laptop."
)
# How a learner works through the course: (what to type or search for, what it does).
HOW_TO = (
    ("mlops-labs start", "makes your starter copy of the lab code, each task's solution taken out"),
    (
        # Built, not written out: the marker must stand only once in the code, in the lab file.
        catalogue.task("6.1.4").marker,
        "is a task's marker: search the lab code for it, read the task's WHERE, WHAT and WHY "
        "below, and complete the code until its scenarios pass",
    ),
    ("mlops-labs check", "runs the scenarios and shows one line per task, and where it fails"),
    ("mlops-labs hint TASK", "gives a hint for a task that does not pass yet (TASK: e.g. 6.1.4)"),
)
# The catalogue's task kinds, in words.
TASK_KINDS = {"code": "learners write the code", "reading": "learners read and explain the code"}
# Scenario tags that say what kind of proof a scenario is: tag -> (label, what it proves).
SCENARIO_KINDS = {
    "bad_input": ("bad input", "wrong input is refused in one clear line, and nothing is changed"),
    "parity": ("parity", "the AWS and the Google Cloud side of the same step, side by side"),
}
# Feature tags of course parts that are not labs, and their titles. Their scenarios are no
# task's: the test suite runs them, `mlops-labs check` does not grade them.
PARTS = {"migration": "Migration toolkit"}
UNGRADED = "no: pytest runs these scenarios, mlops-labs check does not grade them"


@dataclass(frozen=True)
class FeatureFile:
    """A parsed feature file and its path relative to the project root."""

    path: str
    feature: Feature

    @property
    def scenarios(self) -> list[ScenarioTemplate]:
        """The file's scenarios, in file order."""
        return list(self.feature.scenarios.values())

    @property
    def untasked(self) -> list[ScenarioTemplate]:
        """The file's scenarios that no catalogue task claims by its tag."""
        task_tags = {task.tag for task in catalogue.all_tasks()}
        return [s for s in self.scenarios if not s.tags & task_tags]


@dataclass(frozen=True)
class TaskPart:
    """A task of the course: the catalogue's entry and the scenarios tagged with it."""

    task: Task
    scenarios: tuple[ScenarioTemplate, ...]

    @property
    def in_workshop(self) -> bool:
        """Whether the workshop text lists this task (else it is one of the kit's own)."""
        return self.task.id in syllabus_facts.WORKSHOP_TASK_IDS


@dataclass(frozen=True)
class LabPart:
    """A lab of the course: catalogue entry, workshop facts, feature files and tasks."""

    lab: Lab
    facts: LabFacts
    features: tuple[FeatureFile, ...]
    tasks: tuple[TaskPart, ...]
    access: LabAccess | None = None


@dataclass(frozen=True)
class CoursePart:
    """A part of the course that is not a lab (e.g. the migration toolkit) and its features."""

    tag: str
    title: str
    features: tuple[FeatureFile, ...]


@dataclass(frozen=True)
class Course:
    """Every lab in course order, the other parts, and any feature file that names neither."""

    labs: tuple[LabPart, ...]
    stray_features: tuple[FeatureFile, ...]
    parts: tuple[CoursePart, ...] = ()


def build(project_root: Path) -> Course:
    """The course of the project at ``project_root``; no scenario of its features is left out."""
    files = tuple(
        FeatureFile(Path(os.path.relpath(feature.filename, project_root)).as_posix(), feature)
        for feature in feature_files.parse_all(project_root / "features")
    )
    labs = tuple(_lab_part(lab, files, project_root) for lab in catalogue.LABS)
    parts = tuple(
        CoursePart(tag, title, tuple(f for f in files if tag in f.feature.tags))
        for tag, title in PARTS.items()
    )
    known = {lab.tag for lab in catalogue.LABS} | set(PARTS)
    strays = tuple(f for f in files if not f.feature.tags & known)
    return Course(labs=labs, stray_features=strays, parts=tuple(p for p in parts if p.features))


def _lab_part(lab: Lab, files: tuple[FeatureFile, ...], root: Path) -> LabPart:
    # A task's scenarios may sit in any feature file: the tag, not the file, says which task.
    tasks = tuple(
        TaskPart(task, tuple(s for f in files for s in f.scenarios if task.tag in s.tags))
        for task in lab.tasks
    )
    own = tuple(f for f in files if lab.tag in f.feature.tags)
    # A project without the policies (a syllabus of other feature files) shows none.
    has_policies = (root / "policies").is_dir() and lab.id in access_labs.LABS
    access = summary.for_lab(lab.id, root) if has_policies else None
    return LabPart(lab, syllabus_facts.lab_facts(lab.id), own, tasks, access)


def kinds(scenario: ScenarioTemplate) -> list[tuple[str, str]]:
    """The (tag, label) of each kind a scenario is marked with, e.g. ``("parity", "parity")``."""
    return [(tag, label) for tag, (label, _) in SCENARIO_KINDS.items() if tag in scenario.tags]
