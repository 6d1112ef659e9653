"""Whether a secret looks random enough for production, and an error that names it without quoting it.

A secret that a person typed ("changeme", "postgres", "Summer2024Summer2024", 32 × "a") is the first thing an
attacker tries. The check is deliberately simple and explainable: a minimum length, enough different characters,
no short pattern repeated, and an estimated strength in bits that counts common words, keyboard runs, sequences
and repeats as the few guesses they are (a small version of the zxcvbn idea). `facilities secrets generate` makes
values that pass with a wide margin.

The reasons are fixed sentences: an error never contains any part of the value it refuses.
"""

from __future__ import annotations

import itertools
import math

MIN_LENGTH = 16
MIN_DISTINCT = 5
# A random 16-character hex value scores about 80; a 16-digit random number about 53. Made-up ones score far less.
MIN_BITS = 48.0
# Only the start of a very long value is scored: the estimate is quadratic-ish in its length.
_SCORED_CHARS = 256

EMPTY = "is empty"
SHORT = f"is shorter than {MIN_LENGTH} characters"
FEW_DISTINCT = f"uses fewer than {MIN_DISTINCT} different characters"
REPEATED = "repeats a shorter pattern"
GUESSABLE = "is too predictable (dictionary terms, keyboard runs, sequences, repeats or too few kinds of character)"
CONTROL = "holds a control character or a line break"

# Words and defaults a person types as a secret; matched case-insensitively, with common digit-for-letter swaps.
COMMON_WORDS = frozenset(
    """
    changeme change password passwd passw0rd pass word secret secrets admin administrator root
    postgres postgresql mysql mariadb mosquitto grafana influx influxdb token apikey default example
    sample demo test testing guest user username login letmein welcome hello master shadow dragon monkey
    qwerty qwertz azerty iloveyou sunshine princess football baseball superman batman trustno1 starwars
    whatever freedom access system server service manager facilities facility lakeview hub device
    devices mqtt meter meters wuye woaini nihao zhangsan lisi aini beijing shanghai china
    summer winter spring autumn monday friday january december company office property building
    elevator water power light lights alarm console webhook billing fee fees private public local
    localhost internal production prod staging develop development temp temporary open sesame
    abc abcd qwer asdf zxcv 520 1314 5201314 888 666 168 2024 2025 2026 2027
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
# Rows, and the columns people type top to bottom (1qaz2wsx…, zaq1xsw2…).
_KEYBOARD_ROWS = (
    "1234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertzuiop",
    "azertyuiop",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7",
)
_WORD_BITS = math.log2(len(COMMON_WORDS)) + 1  # which word, and one bit for its capitals or digit swaps


def weakness(value: str) -> str | None:
    """Why `value` is not good enough as a production secret, or None if it is. Never quotes the value."""
    if not value:
        return EMPTY
    if any(ord(char) < 32 or ord(char) == 127 or char in "\u0085\u2028\u2029" for char in value):
        return CONTROL
    if len(value) < MIN_LENGTH:
        return SHORT
    if len(set(value)) < MIN_DISTINCT:
        return FEW_DISTINCT
    if _smallest_period(value) <= len(value) // 2:
        return REPEATED
    if estimated_bits(value) < MIN_BITS:
        return GUESSABLE
    return None


def estimated_bits(value: str) -> float:
    """A rough strength in bits: the cheapest way to build `value` from words, runs, repeats and random characters.

    Each character not explained otherwise costs log2 of the alphabet its classes span (lower case, upper case,
    digits, punctuation, other). A common word, an ascending or descending run (`abc`, `4321`, `qwerty`), a run of
    one character or a copy of an earlier piece costs only a few bits. Dynamic programming takes the cheapest
    split, so a random value loses little and a made-up one is found out.
    """
    text = value[:_SCORED_CHARS]
    folded = text.lower().translate(_LEET)
    per_char = math.log2(_alphabet(text))
    cost = [0.0] + [math.inf] * len(text)
    for end in range(1, len(text) + 1):
        cost[end] = cost[end - 1] + per_char
        for start, bits in _pieces_ending_at(text, folded, end):
            cost[end] = min(cost[end], cost[start] + bits)
    return cost[len(text)]


def _pieces_ending_at(text: str, folded: str, end: int) -> list[tuple[int, float]]:
    """(start, bits) of every cheap piece text[start:end]: a word, a run, a repeated character or a copy."""
    pieces: list[tuple[int, float]] = []
    for start in range(max(0, end - 20), end - 2):
        length = end - start
        piece, folded_piece = text[start:end], folded[start:end]
        if folded_piece in COMMON_WORDS or piece.lower() in COMMON_WORDS:
            pieces.append((start, _WORD_BITS))
        if _is_run(piece.lower()):
            pieces.append((start, math.log2(26) + math.log2(length) + 1))
        if len(set(piece)) == 1:
            pieces.append((start, math.log2(_alphabet(piece)) + math.log2(length)))
        elif piece in text[:start]:
            pieces.append((start, math.log2(max(start, 2)) + math.log2(length)))
    return pieces


def _is_run(piece: str) -> bool:
    """`abcd`, `9876`, `qwer`: consecutive characters of the alphabet, the digits or a keyboard row, either way."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(piece)}
    if steps in ({1}, {-1}):
        return True
    return any(piece in row or piece[::-1] in row for row in _KEYBOARD_ROWS)


def _alphabet(text: str) -> int:
    size = 0
    if any(c.islower() and c.isascii() for c in text):
        size += 26
    if any(c.isupper() and c.isascii() for c in text):
        size += 26
    if any(c.isdigit() and c.isascii() for c in text):
        size += 10
    if any(c.isascii() and not c.isalnum() for c in text):
        size += 33
    if any(not c.isascii() for c in text):
        size += 1000  # random CJK or other non-ASCII text: a large alphabet
    return max(size, 2)


def _smallest_period(value: str) -> int:
    """The shortest p with value[i] == value[i - p] for every i (KMP failure function); len(value) if none."""
    failure = [0] * len(value)
    matched = 0
    for index in range(1, len(value)):
        while matched and value[index] != value[matched]:
            matched = failure[matched - 1]
        if value[index] == value[matched]:
            matched += 1
        failure[index] = matched
    return len(value) - failure[-1]


class WeakSecret(ValueError):
    """A secret refused by the policy; the message names the variable and the reason, never the value."""

    def __init__(self, name: str, reason: str) -> None:
        hint = f"set it to {MIN_LENGTH} or more random characters (openssl rand -hex 24 makes one)"
        super().__init__(f"{name} {reason}; {hint}")
        self.name = name
        self.reason = reason


def require_strong(name: str, value: str | None) -> None:
    """Raise `WeakSecret` naming `name` if `value` is missing or fails the policy."""
    reason = weakness(value or "")
    if reason is not None:
        raise WeakSecret(name, reason)
