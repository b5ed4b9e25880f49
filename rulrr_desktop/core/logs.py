"""Logging set-up: a rotating file in the profile's log folder and stderr, both behind the redacting filter.

The desktop app opens its log file only once its window is up (logging.handlers and the file cost start-up
time), so it calls `hold_early_records()` first thing: what is logged before then is kept in memory and written
to the file, in order, when `setup_logging()` opens it.
"""

from __future__ import annotations

import logging
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
EARLY_RECORDS_MAX = 1000


class _EarlyRecords(logging.Handler):
    """Keeps the records logged before the log file is open (the first `EARLY_RECORDS_MAX`, then only what is
    WARNING or worse). No formatting and no I/O: it costs nothing at start-up."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < EARLY_RECORDS_MAX or record.levelno >= logging.WARNING:
            self.records.append(record)
        else:
            self.dropped += 1


def hold_early_records(level: int = logging.INFO) -> None:
    """Until `setup_logging()` runs, keeps every record of `level` or worse in memory. Idempotent, and nothing
    to do when the log is already set up (the records would be written twice)."""
    root = logging.getLogger()
    if any(isinstance(h, _EarlyRecords) or getattr(h, "_rulrr", False) for h in root.handlers):
        return
    root.addHandler(_EarlyRecords())
    root.setLevel(level)


def early_records_held() -> bool:
    """True while records are held for a log file that is not open yet."""
    return any(isinstance(h, _EarlyRecords) and h.records for h in logging.getLogger().handlers)


def setup_logging(log_dir: Path | None, *, level: int = logging.INFO, stderr: bool = True) -> None:
    """Routes the app's logs to `log_dir/rulrr-desktop.log` (rotating) and optionally stderr, redacted; writes
    there first what `hold_early_records()` kept."""
    from logging.handlers import RotatingFileHandler

    from rulrr_desktop.core.redact import RedactingFilter

    root = logging.getLogger()
    root.setLevel(level)
    early: list[logging.LogRecord] = []
    dropped = 0
    for handler in list(root.handlers):
        if isinstance(handler, _EarlyRecords):
            early, dropped = early + handler.records, dropped + handler.dropped
            root.removeHandler(handler)
        elif getattr(handler, "_rulrr", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(RotatingFileHandler(
            log_dir / "rulrr-desktop.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"))
    if stderr:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler._rulrr = True  # type: ignore[attr-defined]
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for record in early:
        if logging.getLogger(record.name).isEnabledFor(record.levelno):
            for handler in handlers:
                handler.handle(record)
    if dropped:
        logging.getLogger(__name__).warning("%d log lines from the start were not kept", dropped)
