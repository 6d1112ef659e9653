"""The composition root's own error: settings that cannot work together, raised while the hub is built."""

from __future__ import annotations


class SetupError(Exception):
    """Settings that cannot work together; the message says which variable to set."""
