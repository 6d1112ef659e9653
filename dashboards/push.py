"""`facilities dashboards push`: upload the generated dashboards to a running Grafana.

For a Grafana that is not ours to provision (a company-wide instance): the dashboards go into one
folder, replacing earlier versions with the same uid. Their datasource variables pick the
InfluxDB (and PostgreSQL) datasource there, so it needs one of each, of any name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

from dashboards.generate import generate

MESSAGE = "facilities dashboards push"


class PushError(Exception):
    """Grafana refused or could not be reached; the message names the URL and the dashboard."""


@dataclass(frozen=True)
class Pushed:
    uid: str
    title: str
    url: str  # the dashboard's address relative to Grafana's root


def folder_uid(title: str) -> str:
    """A stable folder uid from its title (Grafana uids are at most 40 characters of [A-Za-z0-9_-])."""
    return "facilities-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:16]


def push_dashboards(
    url: str,
    token: str,
    folder: str = "Facilities",
    *,
    source: Path | None = None,
    timeout_s: float = 10.0,
    timezone: str | None = None,
) -> list[Pushed]:
    """Upload every dashboard into `folder` (created if missing), overwriting by uid.

    The dashboards are generated from the code (identical to the committed JSON, which a test
    enforces, and present in an installed package too), or read from `source/<lang>/*.json`.
    `token` is a Grafana service-account token with the Editor role (or `user:password`). `timezone` (an IANA
    name, e.g. the site file's) replaces the zone the dashboards show times in.
    Raises PushError saying what went wrong; each dashboard is written whole or not at all.
    """
    if source is None:
        texts = [text for _, text in sorted(generate().items())]
    else:
        texts = [path.read_text(encoding="utf-8") for path in sorted(source.glob("*/*.json"))]
    if not texts:
        raise PushError(f"no dashboards under {source}; run: python -m dashboards.generate")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PushError(f"time zone {timezone!r} is unknown; write it like Asia/Shanghai") from None
    user, colon, password = token.partition(":")
    credential: str | tuple[str, str] = (user, password) if colon else token
    api: Any = GrafanaApi.from_url(url, credential=credential, timeout=timeout_s)
    try:
        uid = _ensure_folder(api, folder)
        boards = [json.loads(text) for text in texts]
        for board in boards:
            board["timezone"] = timezone or board.get("timezone", "browser")
        return [_push_one(api, board, uid) for board in boards]
    except GrafanaClientError as exc:
        raise PushError(f"Grafana at {url} refused the request ({exc.status_code}): {exc.message}") from exc
    except GrafanaException as exc:
        raise PushError(f"Grafana at {url} failed: {exc.message}") from exc
    except OSError as exc:  # grafana-client lets connection errors (OSError subclasses) through
        raise PushError(f"Grafana at {url} could not be reached: {exc}") from exc


def _ensure_folder(api: Any, title: str) -> str:
    for existing in api.folder.get_all_folders():
        if existing.get("title") == title:
            return str(existing["uid"])
    created = api.folder.create_folder(title, uid=folder_uid(title))
    return str(created["uid"])


def _push_one(api: Any, board: dict[str, Any], folder: str) -> Pushed:
    board.pop("id", None)  # Grafana matches by uid; an id from another instance would clash
    answer = api.dashboard.update_dashboard(
        {"dashboard": board, "folderUid": folder, "overwrite": True, "message": MESSAGE}
    )
    return Pushed(uid=board["uid"], title=board["title"], url=str(answer.get("url", "")))
