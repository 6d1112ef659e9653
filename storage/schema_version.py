"""Which schema revisions a database is at, against the code's: a database newer than the code is refused.

After a rollback to an older release, its migrations do not know the newer revisions; running on such a
database could write rows the newer schema forbids, so the hub stops and says what to do instead.
"""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


class SchemaTooNew(Exception):
    """The database was migrated by a newer release than this one."""


def code_revisions(script: ScriptDirectory) -> set[str]:
    return {revision.revision for revision in script.walk_revisions()}


def database_revisions(engine: Engine) -> set[str]:
    """The revisions stamped in the database (empty for a new database)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def refuse_newer(engine: Engine, script: ScriptDirectory) -> None:
    """Raise SchemaTooNew when the database carries a revision this code does not have."""
    unknown = sorted(database_revisions(engine) - code_revisions(script))
    if unknown:
        raise SchemaTooNew(
            f"the database is at schema revision {', '.join(unknown)}, which this release does not know: it was "
            "upgraded by a newer release. Run that release again, or restore the backup taken before the upgrade "
            "(docs/operations.md, Rollback); this release will not start on it"
        )
