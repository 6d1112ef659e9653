"""Running the backup tools (pg_dump, influxd, influx): a missing tool or a failed run is a clear error."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping


class BackupError(Exception):
    """A backup or restore step that failed; the message names the step and what to do."""


def run_tool(args: list[str], *, what: str, env: Mapping[str, str] | None = None, timeout_s: float = 3600) -> str:
    """Run a tool; its stderr becomes the error's message when it fails."""
    binary = shutil.which(args[0])
    if binary is None:
        raise BackupError(f"{what} needs `{args[0]}` on PATH; install it (see docs/operations.md)")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
            [binary, *args[1:]],
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what}: `{args[0]}` did not finish in {timeout_s:.0f} s") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{what}: `{args[0]}` exited {done.returncode}: {' | '.join(detail)}")
    return done.stdout
