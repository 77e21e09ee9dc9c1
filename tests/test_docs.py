"""The documentation: a short README that links every page of docs/, and no link that leads nowhere.

(That the README's install line is the one CI runs is tests/test_lock.py's to check.)
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
MAX_README_LINES = 200

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
# [text](target) and ![alt](target); a target may carry a "title".
_LINK = re.compile(r"!?\[(?:[^\]\n]|\][^(\n])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, ...


def _prose(text: str) -> str:
    """``text`` without code blocks and inline code, where brackets are not links."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of the Markdown file ``path``, repeated ones numbered as GitHub does."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    for _, title in _HEADING.findall(_FENCE.sub("", path.read_text())):
        slug = _slug(title)
        count = counts.get(slug, 0)
        counts[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def links(path: Path) -> list[str]:
    """Every link target written in the Markdown file ``path``, outside code."""
    prose = _prose(path.read_text())
    return _LINK.findall(prose) + _REFERENCE.findall(prose)


def broken(path: Path) -> list[str]:
    """The relative links of ``path`` whose file, or heading, does not exist."""
    problems = []
    for target in links(path):
        if _EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        where = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not where.exists():
            problems.append(f"{target}: no such file")
        elif (
            anchor
            and where.suffix == ".md"
            and where.is_file()
            and unquote(anchor).lower() not in anchors(where)
        ):
            problems.append(f"{target}: no heading with that anchor in {where.name}")
    return problems


def test_there_are_docs_pages():
    assert PAGES, "docs/ holds no .md page"


def test_the_readme_is_short():
    lines = README.read_text().splitlines()
    assert len(lines) <= MAX_README_LINES, (
        f"README.md has {len(lines)} lines (at most {MAX_README_LINES}): "
        "move the detail to a page under docs/ and link it"
    )


@pytest.mark.parametrize("path", [README, *PAGES], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(path: Path):
    assert broken(path) == []


def test_the_readme_links_every_docs_page():
    linked = {
        (README.parent / unquote(target.partition("#")[0])).resolve()
        for target in links(README)
        if not _EXTERNAL.match(target)
    }
    unlinked = [page.name for page in PAGES if page.resolve() not in linked]
    assert unlinked == [], f"docs pages the README does not link: {unlinked}"


# The checks themselves, on small cases, so a check that quietly passes everything is caught.


def test_a_heading_gets_githubs_anchor():
    assert _slug("Starting them for your own code: `mlops-labs sandbox`") == (
        "starting-them-for-your-own-code-mlops-labs-sandbox"
    )
    assert _slug("`check --watch` re-checks") == "check---watch-re-checks"
    assert _slug("Lab 6.1: S3 artifacts from an EC2/SageMaker trainer") == (
        "lab-61-s3-artifacts-from-an-ec2sagemaker-trainer"
    )


def test_a_missing_file_or_heading_is_reported(tmp_path: Path):
    (tmp_path / "there.md").write_text("# A heading\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[ok](there.md) [ok](there.md#a-heading) [ok](there.md#twice-1) [ok](#page)\n"
        "[web](https://example.com/nowhere.md)\n"
        "[gone](missing.md) [no anchor](there.md#nowhere) [self](#nothing)\n"
        "`[in code](missing-too.md)`\n\n"
        "```md\n[in a block](missing-three.md)\n# Not a heading\n```\n"
    )
    assert broken(page) == [
        "missing.md: no such file",
        "there.md#nowhere: no heading with that anchor in there.md",
        "#nothing: no heading with that anchor in page.md",
    ]
