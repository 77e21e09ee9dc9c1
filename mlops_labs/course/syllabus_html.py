"""The syllabus as one self-contained HTML5 page: inline CSS, no scripts, every text escaped."""

from __future__ import annotations

from html import escape

from pytest_bdd.parser import ScenarioTemplate

from ..access.summary import LabAccess
from ..coursework import catalogue
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
from .syllabus_facts import NOT_STATED, WORKSHOP, Counterpart

# System fonts only: the page must render the same offline, with nothing fetched.
CSS = """
:root { color-scheme: light dark; --muted: #5f6368; --rule: #dadce0; --code: #f1f3f4; }
@media (prefers-color-scheme: dark) {
  :root { --muted: #9aa0a6; --rule: #3c4043; --code: #26282b; }
}
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  max-width: 62rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
h1 { margin-bottom: .25rem; }
h2 { border-bottom: 2px solid var(--rule); padding-bottom: .25rem; margin-top: 3rem; }
h3 { margin-top: 2rem; }
section.task { border-left: 4px solid var(--rule); padding-left: 1rem; margin: 2rem 0; }
code, pre { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .9em; }
code { background: var(--code); padding: 0 .25em; border-radius: 3px; }
pre { background: var(--code); padding: .75rem 1rem; overflow-x: auto; border-radius: 6px; }
pre code { padding: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--rule); padding: .25rem .5rem; text-align: left;
  vertical-align: top; }
caption { text-align: left; font-weight: 600; }
.kind { font-size: .75em; font-weight: 600; padding: .1em .6em; border-radius: 1em;
  background: #fce8e6; color: #a50e0e; white-space: nowrap; }
.kind.parity { background: #e6f4ea; color: #137333; }
.muted, .sources { color: var(--muted); }
.sources { font-size: .9em; margin: 0; padding-left: 1.1rem; }
nav ol ol { font-size: .95em; }
@media print { nav { break-after: page; } section.task { break-inside: avoid; } }
""".strip()


def page(course: Course) -> str:
    """The whole syllabus as one HTML document ending in a newline."""
    main = [*_about()]
    for part in course.labs:
        main.extend(_lab(part))
    for part in course.parts:
        main.extend(_part(part))
    if course.stray_features:
        main.append('<section id="outside-the-catalogue">')
        main.append("<h2>Feature files outside the catalogue</h2>")
        for feature_file in course.stray_features:
            main.extend(_stray(feature_file))
        main.append("</section>")
    main.extend(_comparison())
    main.extend(_mapping())
    lines = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(TITLE)}</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
        *_header(),
        *_contents(course),
        "<main>",
        *main,
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(lines) + "\n"


def anchor(*parts: str) -> str:
    """An id for a lab (``lab-6-1``), a task (``task-6-1-4``) or any named part."""
    return "-".join(part.replace(".", "-").replace("/", "-").replace("_", "-") for part in parts)


def code(value: str) -> str:
    """``value`` as inline code."""
    return f"<code>{escape(value)}</code>"


def items(values: tuple[str, ...] | list[str], *, escaped: bool = False) -> str:
    """A bulleted list of ``values`` (already HTML when ``escaped``)."""
    rows = "".join(f"<li>{v if escaped else escape(v)}</li>" for v in values)
    return f"<ul>{rows}</ul>"


def _header() -> list[str]:
    steps = "".join(f"<li>{code(what)} {escape(does)}</li>" for what, does in HOW_TO)
    legend = "".join(
        f'<li><span class="kind {anchor(tag)}">{escape(label)}</span> {escape(meaning)}</li>'
        for tag, (label, meaning) in SCENARIO_KINDS.items()
    )
    return [
        "<header>",
        f"<h1>{escape(TITLE)}</h1>",
        f"<p>{escape(AUDIENCE)}</p>",
        '<section id="how-to-use">',
        "<h2>How to use this course</h2>",
        f"<ol>{steps}</ol>",
        "<p>Each task below shows its scenarios as Gherkin. Some scenarios are marked:</p>",
        f"<ul>{legend}</ul>",
        "</section>",
        "</header>",
    ]


def _contents(course: Course) -> list[str]:
    entries = ['<li><a href="#how-to-use">How to use this course</a></li>']
    entries.append('<li><a href="#about">About the workshop</a></li>')
    for part in course.labs:
        tasks = "".join(
            f'<li><a href="#{anchor("task", t.task.id)}">'
            f"{escape(t.task.id)} {escape(t.task.title)}</a></li>"
            for t in part.tasks
        )
        entries.append(
            f'<li><a href="#{anchor("lab", part.lab.id)}">Lab {escape(part.lab.id)} — '
            f"{escape(part.lab.title)}</a><ol>{tasks}</ol></li>"
        )
    for part in course.parts:
        entries.append(f'<li><a href="#{anchor("part", part.tag)}">{escape(part.title)}</a></li>')
    if course.stray_features:
        entries.append(
            '<li><a href="#outside-the-catalogue">Feature files outside the catalogue</a></li>'
        )
    entries.append('<li><a href="#aws-to-google-cloud">AWS → Google Cloud</a></li>')
    entries.append(
        '<li><a href="#migration-mapping">Migration mapping: the API calls on both sides</a></li>'
    )
    return ['<nav id="contents">', "<h2>Contents</h2>", f"<ol>{''.join(entries)}</ol>", "</nav>"]


def _about() -> list[str]:
    facts = syllabus_facts
    return [
        '<section id="about">',
        "<h2>About the workshop</h2>",
        f"<p>This course follows the workshop <cite>{escape(facts.WORKSHOP_TITLE)}</cite>.</p>",
        "<h3>Objectives</h3>",
        items(facts.WORKSHOP_OBJECTIVES),
        "<h3>Prerequisites</h3>",
        items(facts.WORKSHOP_PREREQUISITES),
        "<h3>Before the Google Cloud labs</h3>",
        "<p>The workshop text gives these ahead of Lab 6.4, under no lab of its own; they cover "
        "Labs 6.4 and 6.5.</p>",
        "<h4>Objectives</h4>",
        items(facts.GOOGLE_CLOUD_OBJECTIVES),
        "<h4>Prerequisites</h4>",
        items(facts.GOOGLE_CLOUD_PREREQUISITES),
        "<h3>Summary</h3>",
        items(facts.WORKSHOP_SUMMARY),
        "</section>",
    ]


def _lab(part: LabPart) -> list[str]:
    lab, facts = part.lab, part.facts
    out = [f'<section class="lab" id="{anchor("lab", lab.id)}">']
    out.append(f"<h2>Lab {escape(lab.id)} — {escape(lab.title)}</h2>")
    for feature_file in part.features:
        out.extend(_paragraphs(feature_file))
    rows = [
        ("Difficulty", escape(facts.difficulty or NOT_STATED)),
        ("Duration", escape(facts.duration or NOT_STATED)),
        ("Tools required", escape(facts.tools or NOT_STATED)),
        ("Lab code", code(f"mlops_labs/labs/{lab.module}.py")),
    ]
    rows += [("Feature file", code(f.path)) for f in part.features]
    if not part.features:
        rows.append(("Feature file", f"none is tagged {code('@' + lab.tag)} yet"))
    out.append(_facts(rows))
    out += ["<h3>Objectives</h3>", _stated(facts.objectives)]
    out += ["<h3>Prerequisites</h3>", _stated(facts.prerequisites)]
    if part.access is not None:
        out.extend(_access(part.access))
    for feature_file in part.features:
        out.extend(_background(feature_file))
    for task_part in part.tasks:
        out.extend(_task(task_part))
    others = [s for f in part.features for s in f.untasked]
    if others:
        out.append("<h3>Other scenarios of this lab</h3>")
        out.extend(line for s in others for line in _scenario(s))
    out.append("</section>")
    return out


def _access(access: LabAccess) -> list[str]:
    replaced = escape(", ".join(access.replaces))
    out = [
        "<h3>Least-privilege access</h3>",
        f"<p>Instead of {replaced} (the workshop's prerequisites), grant each identity only "
        f"what the lab's calls need ({code('policies/README.md')} says how):</p>",
        "<ul>",
    ]
    for identity in access.identities:
        files = ", ".join(code(name) for name in identity.files)
        roles = "; ".join(f"{code(r.role)} on the {escape(r.scope)}" for r in identity.roles)
        granted = ", ".join(code(p) for p in identity.permissions)
        line = f"<strong>{escape(identity.title)}:</strong> {files}"
        if roles:
            line += f"; or the predefined roles {roles}"
        out.append(f"<li>{line}. Grants {granted}.</li>")
    out.append("</ul>")
    return out


def _paragraphs(feature_file: FeatureFile) -> list[str]:
    description = feature_file.feature.description
    return [f"<p>{escape(p)}</p>" for p in feature_files.paragraphs(description)]


def _facts(rows: list[tuple[str, str]]) -> str:
    # Values arrive as HTML already, so that code and plain text can mix in them.
    body = "".join(f"<dt>{escape(name)}</dt><dd>{value}</dd>" for name, value in rows)
    return f'<dl class="facts">{body}</dl>'


def _stated(values: tuple[str, ...]) -> str:
    if values:
        return items(values)
    return f'<p class="muted">{escape(NOT_STATED.capitalize())}.</p>'


def _background(feature_file: FeatureFile) -> list[str]:
    background = feature_file.feature.background
    if background is None:
        return []
    lines = ["Background:", *feature_files.step_lines(background.steps)]
    return [
        "<h3>Background</h3>",
        f"<p>Before every scenario of {code(feature_file.path)}:</p>",
        _pre(lines),
    ]


def _task(part: TaskPart) -> list[str]:
    task = part.task
    place = code(f"{task.function}()") if task.function else "module level"
    rows = [
        ("Marker", code(task.marker)),
        ("WHERE", f"{code(task.file)}, {place}: {escape(task.where)}"),
        ("WHAT", escape(task.what)),
        ("WHY", escape(task.why)),
        ("Kind", f"{escape(task.kind)} task: {escape(TASK_KINDS.get(task.kind, task.kind))}"),
    ]
    if not part.in_workshop:
        rows.append(
            (
                "Not in the workshop text",
                "one of the kit's tasks for the integration the text names "
                f"({escape(syllabus_facts.WORKSHOP_INTEGRATION)})",
            )
        )
    out = [f'<section class="task" id="{anchor("task", task.id)}">']
    out.append(f"<h3>Task {escape(task.id)} — {escape(task.title)}</h3>")
    out.append(_facts(rows))
    for scenario in part.scenarios:
        out.extend(_scenario(scenario))
    if not part.scenarios:
        out.append(f'<p class="muted">No scenario is tagged {code("@" + task.tag)} yet.</p>')
    out.append("</section>")
    return out


def _scenario(scenario: ScenarioTemplate) -> list[str]:
    badges = "".join(
        f' <span class="kind {anchor(tag)}">{escape(label)}</span>'
        for tag, label in kinds(scenario)
    )
    out = ['<div class="scenario">']
    out.append(f"<h4>{escape(scenario.keyword)}: {escape(scenario.name)}{badges}</h4>")
    out.append(_pre(feature_files.scenario_lines(scenario, with_examples=False)))
    for examples in scenario.examples:
        title = f"Examples{': ' + examples.name if examples.name else ''}"
        head = "".join(f"<th>{escape(name)}</th>" for name in examples.example_params)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(value)}</td>" for value in row) + "</tr>"
            for row in examples.examples
        )
        out.append(
            f"<table><caption>{escape(title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )
    out.append("</div>")
    return out


def _pre(lines: list[str]) -> str:
    return '<pre class="gherkin"><code>' + escape("\n".join(lines)) + "</code></pre>"


def _stray(feature_file: FeatureFile) -> list[str]:
    out = [f'<section id="{anchor("feature", feature_file.path)}">']
    out.append(f"<h3>{escape(feature_file.feature.name)} ({code(feature_file.path)})</h3>")
    out.extend(_paragraphs(feature_file))
    out.extend(_background(feature_file))
    out.extend(line for s in feature_file.untasked for line in _scenario(s))
    out.append("</section>")
    return out


def _part(part: CoursePart) -> list[str]:
    out = [f'<section class="part" id="{anchor("part", part.tag)}">']
    out.append(f"<h2>{escape(part.title)}</h2>")
    for feature_file in part.features:
        out.extend(_paragraphs(feature_file))
    rows = [("Feature file", code(f.path)) for f in part.features]
    rows += [("Tag", code("@" + part.tag)), ("Graded", escape(UNGRADED))]
    out.append(_facts(rows))
    for feature_file in part.features:
        out.extend(_background(feature_file))
        out.extend(line for s in feature_file.scenarios for line in _scenario(s))
    out.append("</section>")
    return out


def _comparison() -> list[str]:
    head = "".join(
        f"<th>{name}</th>" for name in ("AWS", "Google Cloud", "What carries over", "Tasks")
    )
    rows = "".join(_counterpart(row) for row in syllabus_facts.COUNTERPARTS)
    return [
        '<section id="aws-to-google-cloud">',
        "<h2>AWS → Google Cloud</h2>",
        "<p>What replaces what, with the words of the workshop text and the labs that say so.</p>",
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>",
        "</section>",
    ]


def _counterpart(row: Counterpart) -> str:
    known = {task.id for task in catalogue.all_tasks()}
    tasks = ", ".join(
        f'<a href="#{anchor("task", t)}">{escape(t)}</a>' if t in known else escape(t)
        for t in row.tasks
    )
    sources = [
        f"{escape(s.origin) if s.origin == WORKSHOP else code(s.origin)}: “{escape(s.quote)}”"
        for s in row.sources
    ]
    if row.unsourced:
        sources.append(f"<em>not from the workshop text or the labs:</em> {escape(row.unsourced)}")
    source_list = "".join(f"<li>{s}</li>" for s in sources)
    return (
        f"<tr><td>{escape(row.aws)}</td><td>{escape(row.google_cloud)}</td>"
        f'<td>{escape(row.note)}<ul class="sources">{source_list}</ul></td><td>{tasks}</td></tr>'
    )


def _mapping() -> list[str]:
    head = "".join(f"<th>{name}</th>" for name in ("Pattern", "AWS", "Google Cloud", "Tasks"))
    out = [
        '<section id="migration-mapping">',
        "<h2>Migration mapping: the API calls on both sides</h2>",
        "<p>Each AWS pattern the labs use and its Google Cloud equivalent, as the migration "
        f"toolkit holds them ({code('mlops_labs/migration/mapping.py')}); the Lab 6.2.6 "
        "checklist names the same places to watch.</p>",
    ]
    for area in mapping.AREAS:
        rows = "".join(_pattern(row) for row in mapping.by_area(area))
        if rows:
            out.append(
                f"<table><caption>{escape(area.capitalize())}</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            )
    out.append("</section>")
    return out


def _pattern(row: mapping.Pattern) -> str:
    known = {task.id for task in catalogue.all_tasks()}
    tasks = ", ".join(
        f'<a href="#{anchor("task", t)}">{escape(t)}</a>' if t in known else escape(t)
        for t in row.tasks
    )
    note = f'<p class="muted">{escape(row.note)}</p>' if row.note else ""

    def side(side: mapping.Side) -> str:
        calls = "".join(f"<li>{code(call)}</li>" for call in side.calls)
        return f"{escape(side.service)}<ul>{calls}</ul>"

    return (
        f"<tr><td>{escape(row.what)}{note}</td><td>{side(row.aws)}</td>"
        f"<td>{side(row.google_cloud)}</td><td>{tasks}</td></tr>"
    )
