"""Runs a blocking call (a preview, a diagnostics export, a disconnect) off the UI thread and hands the result
back to the UI thread through a signal, so that no click ever freezes the window."""

from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from rulrr_desktop.core.status_text import ErrorInfo

log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)   # ErrorInfo


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.fn, self.signals = fn, signals

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:
            log.exception("a background task failed")
            self.signals.failed.emit(ErrorInfo.of(exc))
        else:
            self.signals.done.emit(result)


_alive: set[_Signals] = set()


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[ErrorInfo], None], *, parent: QObject | None = None) -> _Signals:
    """Calls `fn()` on the thread pool; `on_done(result)` or `on_error(ErrorInfo)` then run on the UI thread."""
    signals = _Signals(parent)
    _alive.add(signals)

    def finish(callback: Callable[[Any], None], value: Any) -> None:
        _alive.discard(signals)
        callback(value)
    signals.done.connect(lambda r: finish(on_done, r))
    signals.failed.connect(lambda e: finish(on_error, e))
    QThreadPool.globalInstance().start(_Job(fn, signals))
    return signals
