"""The syllabus: every task and scenario, in course order, as CommonMark and as one HTML page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pytest_bdd.gherkin_parser import get_gherkin_document

from mlops_labs.access import summary
from mlops_labs.course import syllabus_command, syllabus_facts
from mlops_labs.course.feature_files import FeatureFileError
from mlops_labs.course.syllabus_course import PARTS
from mlops_labs.coursework import catalogue
from mlops_labs.errors import KitError
from mlops_labs.migration import mapping

markdown_it = pytest.importorskip("markdown_it")

ROOT = Path(__file__).resolve().parent.parent
# The workshop text lives beside the project, not in it: the sourcing tests need a copy.
WORKSHOP_TEXT = Path(
    os.environ.get(
        "MLOPS_LABS_WORKSHOP_TEXT",
        ROOT.parent / "shared" / "seed" / "workshop-phase2-data-services.txt",
    )
)
VOID = {"meta", "br", "hr", "img", "input", "link", "source", "wbr", "col", "area", "base"}
# Text across these stays one run of words; any other tag separates words.
INLINE = {"a", "b", "cite", "code", "em", "i", "q", "span", "strong"}


class Page(HTMLParser):
    """A strict reading of a page: nesting, ids, links, and the text under each h2/h3 heading."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.errors: list[str] = []
        self.open: list[str] = []
        self.ids: list[str] = []
        self.links: list[tuple[str, str, str]] = []
        self.headings: dict[str, list[str]] = defaultdict(list)
        self.sections: dict[str, list[str]] = defaultdict(list)
        self.words: list[str] = []
        self.code_classes: list[str] = []
        self.doctype: str | None = None
        self.first_tag: str | None = None
        self.title = ""
        self._heading: list[str] | None = None
        self._section = ""
        self.feed(markup)
        self.close()
        if self.open:
            self.errors.append(f"never closed: {self.open}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.first_tag = self.first_tag or tag
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.append(values["id"])
        self.links += [(tag, name, values[name]) for name in ("href", "src") if name in values]
        if tag == "code" and "class" in values:
            self.code_classes.append(values["class"])
        if tag in ("h2", "h3", "h4"):
            self._heading = []
        if tag not in VOID:
            self.open.append(tag)
        self._separate(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"end tag for void element <{tag}>")
        elif not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else None}>")
        else:
            self.open.pop()
        self._separate(tag)
        if tag in ("h2", "h3", "h4") and self._heading is not None:
            heading = normal("".join(self._heading))
            self.headings[tag].append(heading)
            if tag != "h4":
                self._section = heading
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] == "title":
            self.title += data
        if self._heading is not None:
            self._heading.append(data)
        self.sections[self._section].append(data)
        self.words.append(data)

    def _separate(self, tag: str) -> None:
        if tag not in INLINE:
            self.sections[self._section].append(" ")
            self.words.append(" ")

    def text(self, section: str | None = None) -> str:
        """All the page's text, or the text under one h2/h3 heading (up to the next)."""
        if section is None:
            return normal("".join(self.words))
        assert section in self.sections, f"no heading {section!r}"
        return normal("".join(self.sections[section]))


def normal(value: str) -> str:
    return " ".join(value.split())


@pytest.fixture(scope="module")
def markdown() -> str:
    return syllabus_command.render(ROOT, "md")


@pytest.fixture(scope="module")
def html() -> str:
    return syllabus_command.render(ROOT, "html")


@pytest.fixture(scope="module")
def pages(markdown: str, html: str) -> dict[str, Page]:
    # Markdown is read as a CommonMark reader shows it, so a stray `<` or `*` would show here.
    rendered = markdown_it.MarkdownIt("commonmark").render(markdown)
    return {"md": Page(rendered), "html": Page(html)}


def gherkin_scenarios() -> list[tuple[str, str, set[str]]]:
    """(file, name, tags) of every scenario, read by the Gherkin parser itself."""
    found = []
    for path in sorted((ROOT / "features").glob("*.feature")):
        feature = get_gherkin_document(str(path)).feature
        for child in feature.children:
            if child.scenario:
                tags = {tag.name.lstrip("@") for tag in child.scenario.tags}
                found.append((path.name, child.scenario.name, tags))
    return found


def task_heading(task: catalogue.Task) -> str:
    return f"Task {task.id} — {task.title}"


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_every_task_shows_its_where_what_and_why_in_its_own_section(pages, fmt):
    page = pages[fmt]
    for task in catalogue.all_tasks():
        section = page.text(task_heading(task))
        for expected in (task.marker, task.file, task.where, task.what, task.why):
            assert normal(expected) in section, (task.id, expected)
        place = f"{task.function}()" if task.function else "module level"
        assert place in section, task.id


def feature_tags(file: str) -> set[str]:
    feature = get_gherkin_document(str(ROOT / "features" / file)).feature
    return {tag.name.lstrip("@") for tag in feature.tags}


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_every_scenario_appears_under_each_task_it_is_tagged_with(pages, fmt):
    page = pages[fmt]
    scenarios = gherkin_scenarios()
    assert len(scenarios) >= 30
    by_tag = {task.tag: task for task in catalogue.all_tasks()}
    for file, name, tags in scenarios:
        tasks = [by_tag[tag] for tag in sorted(tags) if tag in by_tag]
        parts = [title for tag, title in PARTS.items() if tag in feature_tags(file)]
        assert tasks or parts, f"{file}: {name!r} names no catalogue task or course part"
        for task in tasks:
            assert name in page.text(task_heading(task)), (file, name, task.id)
        for title in parts:
            assert name in page.text(title), (file, name, title)
        heading = next(h for h in page.headings["h4"] if name in h)
        assert ("bad input" in heading) == ("bad_input" in tags), heading
        assert ("parity" in heading) == ("parity" in tags), heading


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_scenario_outlines_show_their_examples(pages, fmt):
    page = pages[fmt]
    section = page.text(task_heading(catalogue.task("6.4.3")))
    for cell in ("project", "location", "message", "My Churn Project", "that is a zone"):
        assert cell in section


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_each_lab_has_the_workshop_facts_and_says_what_is_not_stated(pages, fmt):
    page = pages[fmt]
    for lab in catalogue.LABS:
        section = page.text(f"Lab {lab.id} — {lab.title}")
        facts = syllabus_facts.lab_facts(lab.id)
        assert f"Difficulty {facts.difficulty}" in section.replace(":", "")
        assert "Duration not stated in the workshop text" in section.replace(":", "")
        assert f"Tools required {facts.tools}" in section.replace(":", "")
        for item in (*facts.objectives, *facts.prerequisites):
            assert normal(item) in page.text()


def test_markdown_has_one_h2_per_lab_in_course_order(markdown, pages):
    h2 = pages["md"].headings["h2"]
    assert [h for h in h2 if h.startswith("Lab ")] == [
        f"Lab {lab.id} — {lab.title}" for lab in catalogue.LABS
    ]
    assert "AWS → Google Cloud" in h2
    raw_h2 = [line for line in markdown.splitlines() if line.startswith("## Lab ")]
    assert len(raw_h2) == len(catalogue.LABS)


def test_markdown_scenarios_are_fenced_gherkin(pages):
    backgrounds = sum(
        1
        for path in (ROOT / "features").glob("*.feature")
        if any(c.background for c in get_gherkin_document(str(path)).feature.children)
    )
    fences = pages["md"].code_classes.count("language-gherkin")
    assert fences == len(gherkin_scenarios()) + backgrounds


def test_html_is_one_valid_self_contained_page(html, pages):
    page = pages["html"]
    assert html.startswith("<!doctype html>\n")
    assert page.errors == []
    assert page.doctype.lower() == "doctype html"
    assert page.first_tag == "html"
    assert '<meta charset="utf-8">' in html.split("</head>")[0]
    assert page.title.strip() == "MLOps labs: from AWS to Google Cloud"
    assert "<script" not in html and "<link" not in html
    assert "@import" not in html and "url(" not in html
    for tag, attribute, value in page.links:
        assert not re.match(r"(https?:)?//", value), (tag, attribute, value)
        assert value.startswith("#"), (tag, attribute, value)


def test_html_contents_links_every_lab_and_task_and_every_link_lands(pages):
    page = pages["html"]
    assert len(page.ids) == len(set(page.ids))
    targets = {value[1:] for _, attribute, value in page.links if attribute == "href"}
    assert targets <= set(page.ids)
    for lab in catalogue.LABS:
        assert f"lab-{lab.id.replace('.', '-')}" in targets
    for task in catalogue.all_tasks():
        assert f"task-{task.id.replace('.', '-')}" in targets


def test_the_comparison_covers_the_migration_and_links_its_tasks(pages):
    section = pages["html"].text("AWS → Google Cloud")
    for aws, google in [
        ("Amazon S3", "Cloud Storage"),
        ("SageMaker Model Registry", "Vertex AI Model Registry"),
        ("SageMaker endpoints", "Vertex AI endpoints"),
        ("Amazon Redshift", "BigQuery"),
        ("Redshift UNLOAD", "BigQuery EXPORT DATA"),
        ("Redshift ML / SageMaker training", "BigQuery ML"),
        ("Step Functions", "Vertex AI Pipelines, Cloud Composer, Workflows"),
        ("CloudWatch", "Cloud Monitoring"),
        ("IAM roles", "Service accounts"),
    ]:
        assert aws in section and google in section
    ids = {task.id for task in catalogue.all_tasks()}
    for row in syllabus_facts.COUNTERPARTS:
        assert set(row.tasks) <= ids, row.aws
        assert row.sources, row.aws


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_migration_mapping_shows_every_pattern_with_its_api_calls(pages, fmt):
    section = pages[fmt].text("Migration mapping: the API calls on both sides")
    for row in mapping.PATTERNS:
        for text in (row.what, row.aws.service, row.google_cloud.service):
            assert normal(text) in section, (row.key, text)
        for call in (*row.aws.calls, *row.google_cloud.calls):
            assert normal(call) in section, (row.key, call)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_each_lab_names_its_least_privilege_policies_instead_of_the_workshop_roles(
    markdown, html, fmt
):
    page, heading = (markdown, "## Lab") if fmt == "md" else (html, "<h2>Lab")
    for lab in catalogue.LABS:
        start = page.index(f"{heading} {lab.id} — {lab.title}")
        following = [page.find(f"{heading} {o.id} — ", start + 1) for o in catalogue.LABS]
        section = page[start : min([at for at in following if at > start] or [len(page)])]
        access = summary.for_lab(lab.id)
        assert "Least-privilege access" in section, lab.id
        assert all(escape(role) in section for role in access.replaces), lab.id
        for identity in access.identities:
            assert all(name in section for name in identity.files), identity.id
            assert all(permission in section for permission in identity.permissions)


def test_an_unknown_format_is_refused_in_one_line_before_any_work(tmp_path):
    with pytest.raises(KitError) as refused:
        syllabus_command.render(tmp_path, "pdf")
    message = str(refused.value)
    assert "\n" not in message
    assert "'pdf'" in message and "md" in message and "html" in message


def test_output_is_the_same_in_another_interpreter(markdown, html):
    script = (
        "import sys; from pathlib import Path; "
        "from mlops_labs.course.syllabus_command import render; "
        "sys.stdout.write(render(Path(sys.argv[1]), 'md') + '\\f' + render(Path(sys.argv[1]), "
        "'html'))"
    )
    # Another hash seed reorders sets: tags and anything else kept in one must not leak out.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=True,
        timeout=60,
    )
    assert done.stdout == markdown + "\f" + html


def _project(tmp_path: Path, **features: str) -> Path:
    (tmp_path / "features").mkdir()
    for name, text in features.items():
        (tmp_path / "features" / f"{name}.feature").write_text(text, encoding="utf-8")
    return tmp_path


HOSTILE = '''\
@lab_6_1
Feature: Lab 6.1 - hostile
  A <script>alert(1)</script> description with *stars*, [a link](https://example.com) & more.

  - not a list, 1. not a list either

  @lab_6_1_4 @bad_input
  Scenario Outline: 6.1.4 <b>bold</b> & `ticks` ```fence``` refused
    When I persist "<uri>"
    Then it is refused with "<message>"

    Examples:
      | uri                  | message          |
      | s3://a\\|b/<x>        | has <no> & *key* |

  Scenario: an extra scenario no task claims
    Given a doc string
      """
      ```
      inside the doc string
      ```
      """
'''

STRAY = """\
@lab_9_9
Feature: Lab 9.9 - not in the catalogue
  @lab_9_9_1
  Scenario: 9.9.1 a stray scenario
    Given nothing
"""


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_feature_text_is_shown_literally_and_nothing_is_left_out(tmp_path, fmt):
    root = _project(tmp_path, a=HOSTILE, b=STRAY)
    out = syllabus_command.render(root, fmt)
    page = Page(markdown_it.MarkdownIt("commonmark").render(out) if fmt == "md" else out)
    assert page.errors == []
    text = page.text()
    assert "<script>alert(1)</script>" in text and "*stars*" in text
    assert "[a link](https://example.com) & more." in text
    assert "6.1.4 <b>bold</b> & `ticks` ```fence``` refused" in text
    assert "has <no> & *key*" in text and "s3://a|b/<x>" in text.replace("\\|", "|")
    assert "more. - not a list, 1. not a list either" in text
    assert "an extra scenario no task claims" in text
    assert page.code_classes.count("language-gherkin") == (3 if fmt == "md" else 0)
    assert '""" ``` inside the doc string ``` """' in text
    assert "9.9.1 a stray scenario" in text
    assert f"No scenario is tagged {'@lab_6_1_1'} yet." in text
    assert not [link for link in page.links if link[2].startswith("http")]
    if fmt == "html":
        assert "<script>" not in out and "<b>" not in out


def test_two_scenarios_with_one_name_are_refused_not_merged(tmp_path):
    twice = "@lab_6_1_1\n  Scenario: same\n    Given nothing\n"
    root = _project(tmp_path, a=f"Feature: twice\n  {twice}\n  {twice}")
    with pytest.raises(FeatureFileError, match="2 scenarios but only 1 distinct names"):
        syllabus_command.render(root)


def test_a_broken_feature_file_is_one_line_of_error(tmp_path):
    root = _project(tmp_path, broken="Feature: x\n  Scenario: y\n    Given z\n  Nonsense here\n")
    with pytest.raises(FeatureFileError) as refused:
        syllabus_command.render(root)
    message = str(refused.value)
    assert "\n" not in message
    assert "broken.feature, line 4 ('Nonsense here'): " in message


def _workshop_text() -> str:
    if not WORKSHOP_TEXT.is_file():
        pytest.skip(f"no workshop text at {WORKSHOP_TEXT} (set MLOPS_LABS_WORKSHOP_TEXT)")
    return WORKSHOP_TEXT.read_text(encoding="utf-8")


def squeeze(value: str) -> str:
    # The workshop text's copy lost the spaces around inline code: compare without any space.
    return re.sub(r"\s+", "", value)


def test_every_workshop_fact_is_in_the_workshop_text():
    seed = squeeze(_workshop_text())
    facts = syllabus_facts
    stated = [
        facts.WORKSHOP_TITLE,
        *facts.WORKSHOP_OBJECTIVES,
        *facts.WORKSHOP_PREREQUISITES,
        *facts.GOOGLE_CLOUD_OBJECTIVES,
        *facts.GOOGLE_CLOUD_PREREQUISITES,
        *facts.WORKSHOP_SUMMARY,
        facts.WORKSHOP_INTEGRATION,
    ]
    for lab in facts.LAB_FACTS.values():
        stated += [f"Difficulty: {lab.difficulty}", f"Tools Required: {lab.tools}"]
        stated += [*lab.objectives, *lab.prerequisites]
    stated += [
        s.quote for row in facts.COUNTERPARTS for s in row.sources if s.origin == "workshop text"
    ]
    missing = [item for item in stated if squeeze(item) not in seed]
    assert missing == []


def test_no_duration_is_stated_so_none_is_given():
    seed = _workshop_text()
    assert not re.search(r"\b(minutes?|mins?|hours?|duration|days?)\b", seed, re.IGNORECASE)
    assert all(lab.duration is None for lab in syllabus_facts.LAB_FACTS.values())


def test_the_workshop_tasks_are_the_ones_the_text_lists():
    seed = _workshop_text()
    listed = set(re.findall(r"(?:Lab|Task) (6\.\d\.\d)\b", seed))
    assert listed == syllabus_facts.WORKSHOP_TASK_IDS


def test_every_project_source_quote_is_in_its_file():
    def words(path: Path) -> str:
        # Comment markers at line starts do not break a quoted sentence.
        lines = (line.strip().removeprefix("#") for line in path.read_text().splitlines())
        return squeeze("".join(lines))

    for row in syllabus_facts.COUNTERPARTS:
        for source in row.sources:
            if source.origin != "workshop text":
                assert squeeze(source.quote) in words(ROOT / source.origin), source
