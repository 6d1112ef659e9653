"""The asset-id rule, written once: letters, digits, `.`, `_`, `-`, starting with a letter or digit; at most 64."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

ASSET_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
ASSET_ID_MAX = 64
ASSET_ID_RE = re.compile(ASSET_ID_PATTERN.removeprefix("^").removesuffix("$"))

AssetId = Annotated[str, Field(min_length=1, max_length=ASSET_ID_MAX, pattern=ASSET_ID_PATTERN)]


def is_asset_id(value: str) -> bool:
    """True if `value` is a valid asset id."""
    return len(value) <= ASSET_ID_MAX and ASSET_ID_RE.fullmatch(value) is not None
