"""The typed errors of the POS sources: what the staff sees when the export cannot be read at all.

One bad row never raises (it is yielded as it is and quarantined by the mapping); these errors are for a
source that cannot be read as a whole: a missing file or folder, no permission, a database that is not one.
"""

from __future__ import annotations

from rulrr_desktop.core.errors import AppError

SETTINGS_ACTION = "Check Settings → Data source."


class SourceError(AppError):
    """Any failure of a POS source as a whole."""

    title = "The POS export cannot be read"
    action = SETTINGS_ACTION


class SourceUnavailable(SourceError):
    """The export file or folder does not exist or cannot be read (permissions, a disconnected drive)."""

    title = "The POS export cannot be found"
    action = "Check that the POS still writes its export there, then check Settings → Data source."


class SourceDatabaseError(SourceError):
    """The POS database is missing, is not an SQLite database, or cannot be opened read-only."""

    title = "The POS database cannot be opened"


class SourceQueryError(SourceError):
    """A query of the data source failed (a column or table it names does not exist)."""

    title = "The POS database query failed"


class SourceBusy(SourceError):
    """The POS kept its database locked longer than the busy timeout; the next pass tries again."""

    title = "The POS database is busy"
    action = "Nothing is lost: the next sync tries again. If it keeps happening, restart the POS."
