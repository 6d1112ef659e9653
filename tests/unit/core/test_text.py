"""One-line text: every character that breaks a line somewhere is found, named and replaced."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import default

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.text import describe, first_refused, one_line

# Every character str.splitlines() breaks on, and the others a header or a reader must not see.
LINE_BREAKS = ["\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
INVISIBLE = ["\x00", "\x07", "\x7f", "\x9b", "\u200b", "\u200e", "\u202a", "\u202e", "\u2066", "\ufeff", "\ud800"]


@pytest.mark.parametrize("char", LINE_BREAKS + INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_each_is_refused_and_replaced(char: str) -> None:
    assert first_refused(f"ab{char}cd") == (2, char)
    assert one_line(f"ab{char}cd") == "ab cd"


def test_the_characters_str_splitlines_breaks_on_are_all_refused() -> None:
    breaking = [chr(code) for code in range(0x110000) if len(f"a{chr(code)}b".splitlines()) > 1]
    assert sorted(breaking) == sorted(LINE_BREAKS)


def test_text_people_write_is_left_alone() -> None:
    for text in ("电梯困人 · B1-L1", "Ünïcödé café", "👨\u200d👩\u200d👧 family", "a\u3000b", "a\u00a0b"):
        assert first_refused(text) is None and one_line(text) == text


def test_runs_become_one_replacement_and_the_ends_are_stripped() -> None:
    assert one_line("\r\n title \u2028\u2029\x85 here \n") == "title   here"
    assert one_line("a\r\nb", replacement="\ufffd") == "a\ufffdb"


def test_characters_are_named_for_error_messages() -> None:
    assert describe("\u2028") == "U+2028 (LINE SEPARATOR)"
    assert describe("\x85") == "U+0085 (NEXT LINE)"
    assert describe("\r") == "U+000D (CARRIAGE RETURN)"
    assert describe("\x07") == "U+0007 (control character)"
    assert describe("\U0003bce0") == "U+3BCE0 (unassigned character)"
    assert describe("\ue000") == "U+E000 (private-use character)"


@given(st.text())
def test_one_line_text_is_one_line_for_python_and_e_mail(text: str) -> None:
    line = one_line(text)
    assert first_refused(line) is None
    assert len(line.splitlines()) <= 1
    mail = EmailMessage(policy=default)
    mail["Subject"] = line
    mail.set_content("x")
    written = mail.as_bytes().split(b"\n\n", 1)[0]
    headers = [h for h in written.split(b"\n") if h and not h.startswith((b" ", b"\t"))]  # folded lines continue
    assert [h.split(b":", 1)[0] for h in headers] == [b"Subject", b"Content-Type", b"Content-Transfer-Encoding",
                                                       b"MIME-Version"]  # fmt: skip
