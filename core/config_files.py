"""Config files (TOML): one read-and-validate loader, one error type, one strict base model.

Every config file (site, alerts, billing) is read by `load_config_file`/`parse_config_file` and fails
with one `ConfigError` that lists every problem as `file: key.path: what to change`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base of every config model: a misspelt key is an error, not a silently ignored setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class ConfigProblem:
    path: str
    message: str


class ConfigError(Exception):
    """A config file that cannot be used. `str()` lists every problem as `file: key.path: what to change`."""

    def __init__(self, source: str, problems: Sequence[ConfigProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {p.path}: {p.message}" if p.path else f"{source}: {p.message}" for p in problems]
        super().__init__("\n".join(lines))


def format_loc(loc: Iterable[int | str]) -> str:
    """A pydantic location as a key path: `rules[2].for`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def problem_from_pydantic(err: ErrorDetails) -> ConfigProblem:
    """A pydantic error as a key path and a sentence saying what to change (shared by every config file)."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return ConfigProblem(format_loc(loc), "unknown key; remove it or correct its spelling")
    if kind == "missing":
        return ConfigProblem(format_loc(loc), "required key is missing; add it")
    message = str(err["msg"]).removeprefix("Value error, ")
    if not isinstance(err.get("input"), dict | list | type(None)):
        message += f" (got {err['input']!r})"
    return ConfigProblem(format_loc(loc), message)


def problems_from_pydantic(exc: ValidationError) -> list[ConfigProblem]:
    return [problem_from_pydantic(err) for err in exc.errors()]


def read_config_text(path: str | Path, what: str) -> str:
    """The file's text, or ConfigError `cannot read the <what> file: ...` (unreadable, or not UTF-8)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [ConfigProblem("", f"cannot read the {what} file: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:  # a file saved as GBK by a Windows editor: say where, not a traceback
        message = f"the {what} file is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
        raise ConfigError(str(path), [ConfigProblem("", message + "save it as UTF-8")]) from None


def parse_config_file(
    text: str,
    model: type[M],
    *,
    source: str = "<memory>",
    parse_float: Callable[[str], Any] = float,
    problems: Callable[[ValidationError], list[ConfigProblem]] = problems_from_pydantic,
) -> M:
    """TOML text validated as `model`; ConfigError names every problem by key path."""
    try:
        raw = tomllib.loads(text, parse_float=parse_float)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [ConfigProblem("", f"not valid TOML: {exc}")]) from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(source, problems(exc)) from None
