"""``mlops-labs cleanup``: remove what interrupted live runs left, as their ledgers say."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from .ledger import is_running, left_behind
from .names import RunNames
from .run import ledger_folder
from .settings import LiveSettings
from .teardown import remove_all


def cleanup(settings: LiveSettings, root: Path, console: Console, *, force: bool = False) -> int:
    """Empty every left-behind ledger under the settings' folder; 0 when nothing remains."""
    folder = ledger_folder(settings, root)
    ledgers = left_behind(folder)
    if not ledgers:
        console.print(f"nothing to clean up: no live run left resources behind ({folder})")
        return 0
    status = 0
    for ledger in ledgers:
        if is_running(ledger) and not force:
            console.print(
                f"run {ledger.run_id} is still running: skipped (stop it, or pass --force)"
            )
            status = 1
            continue
        names = RunNames(ledger.run_id, settings.run_prefix, settings.project)
        for outcome in remove_all(ledger.resources, names):
            if outcome.status in ("removed", "already gone"):
                ledger.remove(outcome.resource)
            else:
                status = 1
            console.print(f"run {ledger.run_id}: {outcome}")
    return status
