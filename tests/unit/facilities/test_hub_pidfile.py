"""The hub's pid file: only a live hub running the same site file is sent SIGHUP; stale and foreign files are not."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from facilities.hub_pidfile import FILE_NAME, HubPidFile, reload_running_hub
from tests.support.services import wait_until

# A stand-in hub: holds the pid file, counts SIGHUPs into a file, runs until killed.
HOLDER = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path
    from facilities.hub_pidfile import HubPidFile
    data, site, marker = (Path(a) for a in sys.argv[1:4])
    signal.signal(signal.SIGHUP, lambda *_: marker.write_text(str(int(marker.read_text() or 0) + 1)))
    marker.write_text("")
    held = HubPidFile(data)  # kept: a collected HubPidFile closes its file and so drops the lock
    print(held.hold(site), flush=True)
    while True:
        time.sleep(0.05)
    """
)


@pytest.fixture
def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text("# a site\n", encoding="utf-8")
    return path


@pytest.fixture
def holder(tmp_path: Path, site_file: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    marker = tmp_path / "hups"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "data"), str(site_file), str(marker)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "True"
        yield process, marker
    finally:
        process.kill()
        process.wait(10)


def test_the_running_hub_is_sent_sighup(
    tmp_path: Path, site_file: Path, holder: tuple[subprocess.Popen[str], Path]
) -> None:
    process, marker = holder
    done = reload_running_hub(tmp_path / "data", site_file)
    assert done.pid == process.pid
    wait_until(lambda: marker.read_text() == "1", "the stand-in hub's SIGHUP", 10)


def test_a_file_left_by_a_killed_hub_is_not_signalled(
    tmp_path: Path, site_file: Path, holder: tuple[subprocess.Popen[str], Path]
) -> None:
    process, _ = holder
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert (tmp_path / "data" / FILE_NAME).exists()  # SIGKILL leaves it; the kernel dropped the lock
    done = reload_running_hub(tmp_path / "data", site_file)
    assert done.pid is None
    assert "left from one that stopped" in done.reason


def test_a_hub_running_another_site_file_is_not_signalled(
    tmp_path: Path, holder: tuple[subprocess.Popen[str], Path]
) -> None:
    process, marker = holder
    done = reload_running_hub(tmp_path / "data", tmp_path / "other.toml")
    assert done.pid is None
    assert f"pid {process.pid}" in done.reason and "other.toml" in done.reason
    assert marker.read_text() == ""


def test_a_second_hub_does_not_take_the_file_over(
    tmp_path: Path, site_file: Path, holder: tuple[subprocess.Popen[str], Path]
) -> None:
    process, _ = holder
    second = HubPidFile(tmp_path / "data")
    assert not second.hold(site_file)
    second.release()  # releases nothing it does not hold
    assert json.loads((tmp_path / "data" / FILE_NAME).read_text())["pid"] == process.pid


def test_no_file_and_a_released_file_mean_no_hub(tmp_path: Path, site_file: Path) -> None:
    assert reload_running_hub(tmp_path / "data", site_file).pid is None
    held = HubPidFile(tmp_path / "data")
    assert held.hold(site_file)
    held.release()
    done = reload_running_hub(tmp_path / "data", site_file)
    assert done.pid is None and "no hub is running" in done.reason


@pytest.mark.parametrize("content", ["", "not json", '{"pid": "x", "site_file": "/s"}', '{"site_file": 3}', "\udcff"])
def test_an_unreadable_file_of_a_live_hub_is_reported_not_signalled(
    tmp_path: Path, site_file: Path, holder: tuple[subprocess.Popen[str], Path], content: str
) -> None:
    _, marker = holder
    (tmp_path / "data" / FILE_NAME).write_text(content, encoding="utf-8", errors="surrogateescape")
    done = reload_running_hub(tmp_path / "data", site_file)
    assert done.pid is None and "unreadable" in done.reason
    assert marker.read_text() == ""
