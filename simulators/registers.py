"""Where the meters' registers stood at the end of the last simulated window, so the next one continues them.

`facilities simulate --from A --to B` then `--from B --to C` must not restart every register from the
seed: a real meter's register never goes back (168.215 → 164.579 looked like a replaced meter to billing).
One small JSON file per site and seed, written atomically at the end of each window.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator


class RegisterStateError(ValueError):
    """The saved registers cannot be used (unreadable, or they stand after the new window's start)."""


class SavedRegisters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str = Field(min_length=1, max_length=64)
    seed: int
    at: AwareDatetime  # the instant the registers stand at: the last window's end
    registers: dict[str, float]

    @field_validator("registers")
    @classmethod
    def _finite(cls, value: dict[str, float]) -> dict[str, float]:
        for meter_id, register in value.items():
            if not math.isfinite(register) or register < 0:
                raise ValueError(f"meter {meter_id!r}: register {register} is not a finite, non-negative number")
        return value


def state_path(data_dir: Path, site_id: str, seed: int) -> Path:
    return data_dir / "simulate" / f"{site_id}-seed{seed}.json"


def load_registers(path: Path, *, site_id: str, seed: int) -> SavedRegisters | None:
    """The saved registers for this site and seed; None when there are none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegisterStateError(f"{path}: cannot read the saved registers: {exc}") from None
    try:
        saved = SavedRegisters.model_validate_json(text)
    except ValidationError as exc:
        problem = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors()[:3])
        raise RegisterStateError(f"{path}: not saved registers ({problem}); delete it or pass --fresh") from None
    if (saved.site, saved.seed) != (site_id, seed):
        raise RegisterStateError(
            f"{path}: registers of site {saved.site!r} seed {saved.seed}, not {site_id!r} seed {seed}; "
            "delete it or pass --fresh"
        )
    return saved


def check_continues(saved: SavedRegisters, start: datetime, path: Path) -> None:
    """A window may start at or after the saved registers' instant, never before (registers would go back)."""
    if start < saved.at:
        raise RegisterStateError(
            f"{path}: the meters' registers stand at {saved.at.isoformat()}, after --from {start.isoformat()}; "
            f"start at or after {saved.at.isoformat()} to continue them, or pass --fresh to restart from the seed"
        )


def save_registers(path: Path, saved: SavedRegisters) -> None:
    """Write atomically: a crash mid-write leaves the previous file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(saved.model_dump(mode="json"), indent=1), encoding="utf-8")
    os.replace(temporary, path)
