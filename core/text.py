"""One-line text: what may go into a header, a title or a log field that must stay on one line.

Python's `str.splitlines()`, e-mail and HTTP header parsers, chat robots and terminals each break lines on a
different set of characters: CR, LF, and also VT, FF, FS/GS/RS (U+001C-U+001E), NEL (U+0085), LINE SEPARATOR
(U+2028) and PARAGRAPH SEPARATOR (U+2029). A work-order title carrying any of them could add a header to an
alert e-mail, or make every e-mail for that order fail. These helpers find and replace them all, with the other
control and invisible format characters (bidirectional overrides that reorder what a reader sees).
"""

from __future__ import annotations

import unicodedata

# Unicode categories refused on one line: controls (Cc: C0, DEL, C1 incl. NEL), format characters (Cf: bidi
# overrides, zero-width marks), surrogates (Cs), private use (Co), unassigned (Cn), line and paragraph
# separators (Zl, Zp).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Format characters that join emoji and scripts (ZWNJ, ZWJ) are harmless in a title and kept.
KEPT = frozenset({"\u200c", "\u200d"})


def refused_char(char: str) -> bool:
    """Whether `char` may not appear in one-line text."""
    return char not in KEPT and unicodedata.category(char) in REFUSED_CATEGORIES


def first_refused(text: str) -> tuple[int, str] | None:
    """(position, character) of the first character one-line text may not hold, or None."""
    return next(((index, char) for index, char in enumerate(text) if refused_char(char)), None)


# Control characters have no Unicode name; these are the ones that break lines somewhere.
CONTROL_NAMES = {
    "\x00": "NUL", "\t": "TAB", "\n": "LINE FEED", "\x0b": "LINE TABULATION", "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN", "\x1c": "FILE SEPARATOR", "\x1d": "GROUP SEPARATOR", "\x1e": "RECORD SEPARATOR",
    "\x85": "NEXT LINE",
}  # fmt: skip


def describe(char: str) -> str:
    """`U+2028 (LINE SEPARATOR)`: how an error message names a character it cannot print."""
    kinds = {"Cn": "unassigned character", "Co": "private-use character", "Cs": "surrogate"}
    name = (
        unicodedata.name(char, "")
        or CONTROL_NAMES.get(char)
        or kinds.get(unicodedata.category(char), "control character")
    )
    return f"U+{ord(char):04X} ({name})"


def one_line(text: str, *, replacement: str = " ") -> str:
    """`text` with every refused character replaced (runs of them by one `replacement`) and the ends stripped."""
    out: list[str] = []
    replaced = False
    for char in text:
        if refused_char(char):
            if not replaced:
                out.append(replacement)
            replaced = True
        else:
            out.append(char)
            replaced = False
    return "".join(out).strip()
