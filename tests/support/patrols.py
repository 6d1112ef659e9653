"""What the patrol tests set up: an alarm the rules engine holds open (as its state table keeps it), a patrol."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from rules.state_store import RuleStateRow


def firing(sessions: Callable[[], Session], site_id: str, rule_id: str, asset_id: str, raised_at: datetime) -> None:
    """An open alarm of `rule_id` on `asset_id`, as the rules engine writes it (status firing)."""
    with sessions() as session, session.begin():
        session.merge(
            RuleStateRow(
                site_id=site_id, rule_id=rule_id, asset_id=asset_id, status="firing", severity="minor",
                since=raised_at, fire_at=None, raised_at=raised_at, cleared_at=None,
                alarm_id=f"{rule_id}:{asset_id}:{uuid.uuid4().hex[:6]}", message_key="", evidence={}, memory={},
                last_ts=raised_at, updated_at=raised_at,
            )
        )  # fmt: skip
