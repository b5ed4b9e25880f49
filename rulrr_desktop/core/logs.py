"""Logging set-up: a rotating file in the profile's log folder and stderr, both behind the redacting filter."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from rulrr_desktop.core.redact import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_dir: Path | None, *, level: int = logging.INFO, stderr: bool = True) -> None:
    """Routes the app's logs to `log_dir/rulrr-desktop.log` (rotating) and optionally stderr, redacted."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_rulrr", False):
            root.removeHandler(handler)
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(
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
