"""The syllabus as plain CommonMark: headings, lists, and fenced ``gherkin`` blocks."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pytest_bdd.parser import ScenarioTemplate

from ..access.summary import LabAccess
from ..migration import mapping
from . import feature_files, syllabus_facts
from .syllabus_course import (
    AUDIENCE,
    HOW_TO,
    SCENARIO_KINDS,
    TASK_KINDS,
    TITLE,
    UNGRADED,
    Course,
    CoursePart,
    FeatureFile,
    LabPart,
    TaskPart,
    kinds,
)
from .syllabus_facts import NOT_STATED, WORKSHOP, Counterpart, Source

# Characters that would start emphasis, code, links, autolinks, raw HTML or entities inline.
_INLINE = re.compile(r"([\\`*_\[\]<>&])")
# What would open a heading, quote, list or thematic break at the start of a paragraph.
_BLOCK_START = re.compile(r"^(?:(\d{1,9})([.)])(?=\s|$)|([#>+-]))")


def document(course: Course) -> str:
    """The whole syllabus, one Markdown document ending in a newline."""
    blocks = [*_intro(), *_about()]
    for part in course.labs:
        blocks.extend(_lab(part))
    for part in course.parts:
        blocks.extend(_part(part))
    if course.stray_features:
        blocks.append("## Feature files outside the catalogue")
        for feature_file in course.stray_features:
            blocks.extend(_stray(feature_file))
    blocks.extend(_comparison())
    blocks.extend(_mapping())
    return "\n\n".join(blocks) + "\n"


def text(value: str) -> str:
    """``value`` as literal inline Markdown text."""
    return _INLINE.sub(r"\\\1", value)


def paragraph(value: str) -> str:
    """``value`` as a literal paragraph, whatever it starts with."""
    return _BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text(value))


def code(value: str) -> str:
    """``value`` as a code span, fenced by more backticks than it holds in a row."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def fenced(lines: Iterable[str]) -> str:
    """Gherkin lines as a fenced ``gherkin`` block."""
    # Scenario lines start with "@", a keyword or indentation, never with a closing fence.
    return "\n".join(["```gherkin", *lines, "```"])


def bullets(items: Iterable[str], indent: str = "") -> str:
    """A list, one already-formatted item a line."""
    return "\n".join(f"{indent}- {item}" for item in items)


def _intro() -> list[str]:
    steps = [f"{i}. {code(what)} {text(does)}" for i, (what, does) in enumerate(HOW_TO, 1)]
    legend = [f"*{text(label)}*: {text(meaning)}" for label, meaning in SCENARIO_KINDS.values()]
    return [
        f"# {text(TITLE)}",
        paragraph(AUDIENCE),
        "## How to use this course",
        "\n".join(steps),
        "Each task below shows its scenarios as Gherkin. Some scenarios are marked:",
        bullets(legend),
    ]


def _about() -> list[str]:
    return [
        "## About the workshop",
        f"This course follows the workshop *{text(syllabus_facts.WORKSHOP_TITLE)}*.",
        "### Objectives",
        bullets(map(text, syllabus_facts.WORKSHOP_OBJECTIVES)),
        "### Prerequisites",
        bullets(map(text, syllabus_facts.WORKSHOP_PREREQUISITES)),
        "### Before the Google Cloud labs",
        "The workshop text gives these ahead of Lab 6.4, under no lab of its own; they cover "
        "Labs 6.4 and 6.5.",
        "#### Objectives",
        bullets(map(text, syllabus_facts.GOOGLE_CLOUD_OBJECTIVES)),
        "#### Prerequisites",
        bullets(map(text, syllabus_facts.GOOGLE_CLOUD_PREREQUISITES)),
        "### Summary",
        bullets(map(text, syllabus_facts.WORKSHOP_SUMMARY)),
    ]


def _lab(part: LabPart) -> list[str]:
    lab, facts = part.lab, part.facts
    blocks = [f"## Lab {text(lab.id)} — {text(lab.title)}"]
    for feature_file in part.features:
        blocks.extend(map(paragraph, feature_files.paragraphs(feature_file.feature.description)))
    details = [
        f"**Difficulty:** {text(facts.difficulty or NOT_STATED)}",
        f"**Duration:** {text(facts.duration or NOT_STATED)}",
        f"**Tools required:** {text(facts.tools or NOT_STATED)}",
        f"**Lab code:** {code(f'mlops_labs/labs/{lab.module}.py')}",
    ]
    details += [f"**Feature file:** {code(f.path)}" for f in part.features]
    if not part.features:
        details.append(f"**Feature file:** none is tagged {code('@' + lab.tag)} yet")
    blocks.append(bullets(details))
    blocks += ["### Objectives", _stated(facts.objectives)]
    blocks += ["### Prerequisites", _stated(facts.prerequisites)]
    if part.access is not None:
        blocks.extend(_access(part.access))
    for feature_file in part.features:
        blocks.extend(_background(feature_file))
    for task_part in part.tasks:
        blocks.extend(_task(task_part))
    others = [s for f in part.features for s in f.untasked]
    if others:
        blocks.append("### Other scenarios of this lab")
        blocks.extend(block for s in others for block in _scenario(s))
    return blocks


def _access(access: LabAccess) -> list[str]:
    blocks = [
        "### Least-privilege access",
        paragraph(
            f"Instead of {', '.join(access.replaces)} (the workshop's prerequisites), grant "
            f"each identity only what the lab's calls need ({code('policies/README.md')} says how):"
        ),
    ]
    items = []
    for identity in access.identities:
        files = ", ".join(code(name) for name in identity.files)
        roles = "; ".join(f"{code(r.role)} on the {text(r.scope)}" for r in identity.roles)
        granted = ", ".join(code(p) for p in identity.permissions)
        line = f"**{text(identity.title)}:** {files}"
        if roles:
            line += f"; or the predefined roles {roles}"
        items.append(f"{line}. Grants {granted}.")
    blocks.append(bullets(items))
    return blocks


def _stated(items: tuple[str, ...]) -> str:
    return bullets(map(text, items)) if items else text(NOT_STATED.capitalize() + ".")


def _background(feature_file: FeatureFile) -> list[str]:
    background = feature_file.feature.background
    if background is None:
        return []
    lines = ["Background:", *feature_files.step_lines(background.steps)]
    return [
        "### Background",
        f"Before every scenario of {code(feature_file.path)}:",
        fenced(lines),
    ]


def _task(part: TaskPart) -> list[str]:
    task = part.task
    place = code(f"{task.function}()") if task.function else "module level"
    details = [
        f"**Marker:** {code(task.marker)}",
        f"**WHERE:** {code(task.file)}, {place}: {text(task.where)}",
        f"**WHAT:** {text(task.what)}",
        f"**WHY:** {text(task.why)}",
        f"**Kind:** {text(task.kind)} task: {text(TASK_KINDS.get(task.kind, task.kind))}",
    ]
    if not part.in_workshop:
        details.append(
            "**Not in the workshop text:** one of the kit's tasks for the integration the text "
            f"names ({text(syllabus_facts.WORKSHOP_INTEGRATION)})"
        )
    blocks = [f"### Task {text(task.id)} — {text(task.title)}", bullets(details)]
    for scenario in part.scenarios:
        blocks.extend(_scenario(scenario))
    if not part.scenarios:
        blocks.append(f"No scenario is tagged {code('@' + task.tag)} yet.")
    return blocks


def _scenario(scenario: ScenarioTemplate) -> list[str]:
    labels = "".join(f" ({label})" for _, label in kinds(scenario))
    heading = f"#### {text(scenario.keyword)}: {text(scenario.name)}{text(labels)}"
    return [heading, fenced(feature_files.scenario_lines(scenario))]


def _stray(feature_file: FeatureFile) -> list[str]:
    blocks = [f"### {text(feature_file.feature.name)} ({code(feature_file.path)})"]
    blocks.extend(map(paragraph, feature_files.paragraphs(feature_file.feature.description)))
    blocks.extend(_background(feature_file))
    blocks.extend(block for s in feature_file.untasked for block in _scenario(s))
    return blocks


def _part(part: CoursePart) -> list[str]:
    blocks = [f"## {text(part.title)}"]
    for feature_file in part.features:
        blocks.extend(map(paragraph, feature_files.paragraphs(feature_file.feature.description)))
    details = [f"**Feature file:** {code(f.path)}" for f in part.features]
    details.append(f"**Tag:** {code('@' + part.tag)}")
    details.append(f"**Graded:** {text(UNGRADED)}")
    blocks.append(bullets(details))
    for feature_file in part.features:
        blocks.extend(_background(feature_file))
        blocks.extend(block for s in feature_file.scenarios for block in _scenario(s))
    return blocks


def _comparison() -> list[str]:
    return [
        "## AWS → Google Cloud",
        "What replaces what, with the words of the workshop text and the labs that say so.",
        "\n".join(_counterpart(row) for row in syllabus_facts.COUNTERPARTS),
    ]


def _counterpart(row: Counterpart) -> str:
    tasks = ", ".join(row.tasks)
    head = (
        f"- **{text(row.aws)} → {text(row.google_cloud)}.** {text(row.note)} Tasks: {text(tasks)}."
    )
    notes = [_source(source) for source in row.sources]
    if row.unsourced:
        notes.append(f"*not from the workshop text or the labs:* {text(row.unsourced)}")
    return head + "\n" + bullets(notes, indent="  ")


def _source(source: Source) -> str:
    origin = text(source.origin) if source.origin == WORKSHOP else code(source.origin)
    return f"{origin}: “{text(source.quote)}”"


def _mapping() -> list[str]:
    blocks = [
        "## Migration mapping: the API calls on both sides",
        "Each AWS pattern the labs use and its Google Cloud equivalent, as the migration toolkit "
        f"holds them ({code('mlops_labs/migration/mapping.py')}); the Lab 6.2.6 checklist "
        "names the same places to watch.",
    ]
    for area in mapping.AREAS:
        rows = mapping.by_area(area)
        if rows:
            blocks.append(f"**{text(area.capitalize())}**")
            blocks.append("\n".join(_pattern(row) for row in rows))
    return blocks


def _pattern(row: mapping.Pattern) -> str:
    tasks = text(", ".join(row.tasks))
    lines = [
        f"AWS, {text(row.aws.service)}: " + "; ".join(code(c) for c in row.aws.calls),
        f"Google Cloud, {text(row.google_cloud.service)}: "
        + "; ".join(code(c) for c in row.google_cloud.calls),
    ]
    if row.note:
        lines.append(text(row.note))
    return f"- **{text(row.what)}** (tasks {tasks})\n" + bullets(lines, indent="  ")
