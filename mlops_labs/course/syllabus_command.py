"""``mlops-labs syllabus``: the feature files, the catalogue and the workshop text as a course."""

from __future__ import annotations

from pathlib import Path

from ..errors import KitError
from .syllabus_course import build
from .syllabus_html import page
from .syllabus_markdown import document

FORMATS = ("md", "html")


class UnknownFormat(KitError):
    """A syllabus format other than the ones ``render`` writes."""


def render(project_root: Path, fmt: str = "md") -> str:
    """The syllabus of the project at ``project_root``: Markdown (``md``) or one HTML page."""
    if fmt not in FORMATS:
        raise UnknownFormat(f"unknown syllabus format {fmt!r}: choose one of {', '.join(FORMATS)}")
    course = build(Path(project_root))
    return page(course) if fmt == "html" else document(course)
