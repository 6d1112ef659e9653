"""The console's signing secret: from FACILITIES_CONSOLE_SECRET, else (outside production) one kept on disk."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from core.secret_policy import WeakSecret, weakness
from core.settings import PLACEHOLDERS, Environment, Settings

log = logging.getLogger(__name__)
MIN_SECRET = 32


class ConsoleSecretMissing(ValueError):
    """Production without a real FACILITIES_CONSOLE_SECRET."""


def console_secret(settings: Settings) -> str:
    """The secret that signs alert links and console cookies.

    Production must set it, and it must pass the secret policy (core.secret_policy); a placeholder or a short
    one is refused everywhere. Elsewhere an unset secret is generated once into `data_dir/console-secret`, so
    links in alerts already sent keep working after a restart. No error quotes the secret.
    """
    if settings.console_secret is not None:
        value = settings.console_secret.get_secret_value()
        if value.strip().lower() in PLACEHOLDERS or len(value) < MIN_SECRET:
            raise ConsoleSecretMissing(f"FACILITIES_CONSOLE_SECRET must be at least {MIN_SECRET} random characters")
        reason = weakness(value)
        if settings.env is Environment.PRODUCTION and reason is not None:
            raise ConsoleSecretMissing(str(WeakSecret("FACILITIES_CONSOLE_SECRET", reason)))
        return value
    if settings.env is Environment.PRODUCTION:
        raise ConsoleSecretMissing("FACILITIES_ENV=production needs FACILITIES_CONSOLE_SECRET (32+ random characters)")
    return _kept_secret(settings.data_dir / "console-secret")


def _kept_secret(path: Path) -> str:
    try:
        value = path.read_text(encoding="ascii").strip()
        if len(value) >= MIN_SECRET:
            return value
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # Written readable by the owner only: anyone who reads it can forge links.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(value + "\n")
    log.info("generated the console signing secret in %s (set FACILITIES_CONSOLE_SECRET to choose one)", path)
    return value
