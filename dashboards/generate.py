"""Render every dashboard in every language to `dashboards/generated/<lang>/<name>.json`.

The JSON is committed; a test regenerates it and fails when it differs, so the committed files
are always what the code says. Run `python -m dashboards.generate` after changing a dashboard.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from dashboards import alert_rules, billing, elevator_board, elevators, system, utilities, workorders
from dashboards.grafana import Json
from dashboards.i18n import Lang

GENERATED_DIR = Path(__file__).resolve().parent / "generated"
ALERTING_FILE = Path(__file__).resolve().parent / "provisioning" / "alerting" / "facilities.json"

BUILDERS: dict[str, Callable[[Lang], Json]] = {
    "billing": billing.build,
    "elevator-board": elevator_board.build,
    "elevators": elevators.build,
    "system": system.build,
    "utilities": utilities.build,
    "workorders": workorders.build,
}


def render(board: Json) -> str:
    """Stable text: sorted keys, two-space indent, Chinese kept readable, a final newline."""
    return json.dumps(board, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generate() -> dict[str, str]:
    """Every dashboard's file name (`<lang>/<name>.json`) and text."""
    return {
        f"{lang.value}/{name}.json": render(build(lang)) for name, build in sorted(BUILDERS.items()) for lang in Lang
    }


def alerting_text() -> str:
    """The alert rules' provisioning file (dashboards/alert_rules.py), as stable text."""
    return render(alert_rules.provisioning())


def write_all(out_dir: Path = GENERATED_DIR, alerting_file: Path = ALERTING_FILE) -> list[Path]:
    """Write every dashboard under `out_dir`, removing generated files no builder makes any more, and the
    alert rules' provisioning file."""
    alerting_file.parent.mkdir(parents=True, exist_ok=True)
    alerting_file.write_text(alerting_text(), encoding="utf-8")
    files = generate()
    for stale in set(_existing(out_dir)) - set(files):
        (out_dir / stale).unlink()
    written = [alerting_file]
    for name, text in files.items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def differences(out_dir: Path = GENERATED_DIR, alerting_file: Path = ALERTING_FILE) -> list[str]:
    """Files under `out_dir` that are missing, stale or different from what the code generates (and the alert
    rules' file, named as it is)."""
    files = generate()
    existing = _existing(out_dir)
    changed = [name for name, text in files.items() if existing.get(name) != text]
    if not alerting_file.is_file() or alerting_file.read_text(encoding="utf-8") != alerting_text():
        changed.append(alerting_file.name)
    return sorted(changed + [name for name in existing if name not in files])


def _existing(out_dir: Path) -> dict[str, str]:
    if not out_dir.is_dir():
        return {}
    return {path.relative_to(out_dir).as_posix(): path.read_text(encoding="utf-8") for path in out_dir.glob("*/*.json")}


def main(argv: list[str]) -> int:
    """`--check`: exit 1 listing files that differ; otherwise write them."""
    if "--check" in argv:
        stale = differences()
        for name in stale:
            print(f"dashboards/generated/{name} is out of date; run: python -m dashboards.generate")
        return 1 if stale else 0
    for path in write_all():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
