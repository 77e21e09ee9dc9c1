"""Read the feature files with pytest-bdd's own parser, and write scenarios back as Gherkin."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pytest_bdd.exceptions import GherkinParseError
from pytest_bdd.gherkin_parser import get_gherkin_document
from pytest_bdd.parser import Feature, FeatureParser, ScenarioTemplate, Step

from ..errors import KitError

INDENT = "  "


class FeatureFileError(KitError):
    """A feature file that cannot be parsed, or that pytest-bdd would read other than written."""


def parse_all(features_dir: Path) -> tuple[Feature, ...]:
    """Every ``*.feature`` under ``features_dir``, parsed, in file-name order."""
    if not features_dir.is_dir():
        raise FeatureFileError(f"no features folder at {features_dir}")
    return tuple(parse(path) for path in sorted(features_dir.rglob("*.feature")))


def parse(path: Path) -> Feature:
    """One feature file, parsed by pytest-bdd (its cache bypassed, so edits are always seen)."""
    try:
        feature = FeatureParser(str(path.parent), path.name).parse()
        written = _scenario_count(path)
    except GherkinParseError as exc:
        raise FeatureFileError(
            f"{path}, line {exc.line} ({exc.line_content.strip()!r}): {exc.message}"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FeatureFileError(f"{path}: {exc}") from exc
    # pytest-bdd keys scenarios by name: a repeated name silently hides the earlier scenario.
    if len(feature.scenarios) != written:
        raise FeatureFileError(
            f"{path}: {written} scenarios but only {len(feature.scenarios)} distinct names: "
            "give every scenario its own name"
        )
    return feature


def _scenario_count(path: Path) -> int:
    feature = get_gherkin_document(str(path)).feature
    count = 0
    for child in feature.children if feature else ():
        if child.scenario:
            count += 1
        elif child.rule:
            count += sum(1 for grandchild in child.rule.children if grandchild.scenario)
    return count


def paragraphs(description: str) -> list[str]:
    """A Gherkin description as paragraphs: wrapped lines joined, blank lines kept as breaks."""
    found: list[str] = []
    current: list[str] = []
    for line in [*description.splitlines(), ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            found.append(" ".join(current))
            current = []
    return found


def ordered_tags(tags: Iterable[str]) -> list[str]:
    """Tags in a stable order (pytest-bdd keeps them as a set): task tags first, then the rest."""
    return sorted(tags, key=lambda tag: (not tag.startswith("lab_"), tag))


def own_steps(scenario: ScenarioTemplate) -> list[Step]:
    """The scenario's own steps, without the Background's."""
    return scenario.steps[len(scenario.all_background_steps) :]


def step_lines(steps: Sequence[Step], indent: str = INDENT) -> list[str]:
    """Steps as written (``And`` stays ``And``), each with its data table or doc string."""
    lines: list[str] = []
    for step in steps:
        lines.append(f"{indent}{step.keyword.strip()} {step.name}")
        if step.datatable is not None:
            lines.extend(table_lines(step.datatable.raw(), indent + INDENT))
        if step.docstring is not None:
            lines.append(f'{indent}{INDENT}"""')
            lines.extend(f"{indent}{INDENT}{line}".rstrip() for line in step.docstring.splitlines())
            lines.append(f'{indent}{INDENT}"""')
    return lines


def scenario_lines(scenario: ScenarioTemplate, *, with_examples: bool = True) -> list[str]:
    """The scenario as Gherkin: tags, keyword and name, its own steps, and its Examples tables."""
    tags = " ".join(f"@{tag}" for tag in ordered_tags(scenario.tags))
    lines = [tags] if tags else []
    lines.append(f"{scenario.keyword}: {scenario.name}")
    lines.extend(step_lines(own_steps(scenario)))
    if with_examples:
        for examples in scenario.examples:
            example_tags = " ".join(f"@{tag}" for tag in ordered_tags(examples.tags))
            lines.append("")
            if example_tags:
                lines.append(f"{INDENT}{example_tags}")
            lines.append(f"{INDENT}Examples:{f' {examples.name}' if examples.name else ''}")
            rows = [examples.example_params, *examples.examples]
            lines.extend(table_lines(rows, INDENT * 2))
    return lines


def table_lines(rows: Sequence[Sequence[object]], indent: str = "") -> list[str]:
    """A Gherkin table with aligned columns, ``|`` and ``\\`` in cells escaped as Gherkin wants."""
    cells = [[_cell(value) for value in row] for row in rows]
    # Gherkin refuses ragged tables, so every row has as many cells as the first.
    widths = [max(len(cell) for cell in column) for column in zip(*cells, strict=True)]
    return [
        indent + "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |"
        for row in cells
    ]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "\\n")
