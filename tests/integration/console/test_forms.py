"""Once-only forms on a real SQLite database: claim, settle, release, and forgetting old nonces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from console import forms

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def sessions(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    return sqlite_sessions


def test_a_nonce_is_claimed_once_and_repeats_go_where_the_first_went(sessions: sessionmaker[Session]) -> None:
    nonce = forms.new_nonce()
    assert forms.valid_nonce(nonce) and not forms.valid_nonce("short") and not forms.valid_nonce(None)
    assert forms.claim(sessions, nonce, "comment", T0) is None
    assert forms.claim(sessions, nonce, "comment", T0) == ""  # still running: no place to send it yet
    forms.settle(sessions, nonce, "/console/orders/WO-20261126-0001?done=comment")
    assert forms.claim(sessions, nonce, "comment", T0) == "/console/orders/WO-20261126-0001?done=comment"
    forms.release(sessions, nonce)
    assert forms.claim(sessions, nonce, "comment", T0) is None  # released: the corrected form goes through


def test_handled_forms_are_forgotten_after_the_cut_off(sessions: sessionmaker[Session]) -> None:
    old, recent = forms.new_nonce(), forms.new_nonce()
    forms.claim(sessions, old, "register", T0 - 31 * DAY)
    forms.claim(sessions, recent, "register", T0 - 29 * DAY)
    assert forms.prune(sessions, older_than=T0 - 30 * DAY) == 1
    assert forms.claim(sessions, old, "register", T0) is None  # forgotten: a new form now
    assert forms.claim(sessions, recent, "register", T0) == ""  # still remembered
