"""The running hub's pid file: how `facilities devices adopt` finds the hub to reload after it edits the site file.

`facilities run` writes `<data_dir>/hub.pid` (its pid and site file, as JSON) and holds an exclusive `flock` on it
while it runs. The lock, not the file's presence, says whether a hub is alive: a hub killed with SIGKILL leaves
the file behind but the kernel drops its lock, so a stale pid (perhaps reused by another process) is never
signalled. A second hub on the same data folder does not take the file over; it logs why.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger("facilities")

FILE_NAME = "hub.pid"


@dataclass(frozen=True)
class Signalled:
    """What `reload_running_hub` did: `pid` is None when no hub was signalled, and `reason` says why."""

    pid: int | None
    reason: str


class HubPidFile:
    """Held by the running hub for its lifetime (`with HubPidFile(...).held(site_file):`)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self._handle: IO[str] | None = None

    def hold(self, site_file: Path) -> bool:
        """Locks and writes the file; False (and a warning) when another live hub already holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            log.warning("%s is held by another running hub; `facilities devices adopt` will reload that one", self.path)
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "site_file": str(Path(site_file).resolve())}))
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self.path.unlink(missing_ok=True)  # before unlocking, so no one reads a pid that is about to go
            self._handle.close()
            self._handle = None


def reload_running_hub(data_dir: Path, site_file: Path) -> Signalled:
    """Sends SIGHUP to the hub running on `data_dir` with `site_file`, if one runs; says what it did."""
    path = Path(data_dir) / FILE_NAME
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        return Signalled(None, f"no hub is running on {data_dir} (no {FILE_NAME})")
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # locked: the hub that wrote it is alive
        else:
            return Signalled(None, f"no hub is running on {data_dir} ({path} is left from one that stopped)")
        try:
            held = json.loads(handle.read())
            pid, running_file = int(held["pid"]), Path(held["site_file"])
        except (ValueError, KeyError, TypeError) as exc:
            return Signalled(None, f"{path} is unreadable ({exc}); reload the hub with kill -HUP <pid>")
    if running_file != Path(site_file).resolve():
        return Signalled(None, f"the hub running on {data_dir} (pid {pid}) reads {running_file}, not {site_file}")
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError as exc:
        return Signalled(None, f"could not signal the hub (pid {pid}): {exc}")
    return Signalled(pid, f"sent SIGHUP to the hub (pid {pid}); it logs what the reload changed")
