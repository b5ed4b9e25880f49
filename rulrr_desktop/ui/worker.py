"""The sync loop on its own thread, reporting to the UI through Qt signals only.

Why a plain loop on a QThread rather than timers: a sync pass blocks (SQLite, HTTP), so it must never run on
the UI thread, and a loop with one condition variable makes the life cycle explicit: wait until due (or woken
by Sync now, Resume, the network coming back or Quit), run one pass, report, repeat. The UI commands the loop
with thread-safe methods that only set a flag under a lock; the loop answers with `statusChanged` (a complete
`SyncStatus`), so there is no shared mutable state and no global app object. Every exception of a pass ends
in the status as an error (never a silent stall); transient ones (Rulrr unreachable, 5xx, 429) become a
back-off pause with the time of the next try.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QObject, QThread, Signal

from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.status_text import ErrorInfo, Progress, SyncStatus
from rulrr_desktop.ui.backend import Backend

log = logging.getLogger(__name__)

BACKOFF_START_S = 15.0
BACKOFF_MAX_S = 15 * 60.0
PROGRESS_EVERY_S = 0.1


class _LoopThread(QThread):
    def __init__(self, target) -> None:
        super().__init__()
        self._target = target

    def run(self) -> None:
        self._target()


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SyncWorker(QObject):
    """Runs `backend.sync_once` every `interval` seconds on a QThread of its own."""

    statusChanged = Signal(object)      # SyncStatus
    passFinished = Signal(object)       # SyncStatus after a pass (for tests and notifications)
    stopped = Signal()

    def __init__(self, backend: Backend, *, interval_s: float | None = None, jitter_s: float = 10.0,
                 first_pass_delay_s: float = 0.0) -> None:
        super().__init__()
        self.backend = backend
        self._interval_override = interval_s
        self.jitter_s = jitter_s
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._wake_reason = ""
        self._wakes = 0                     # bumped by every command, so no command is missed by the loop
        self._seen_wakes = 0
        self._paused_by_user = False
        self._online = True
        self._resumed_waiting_network = False
        self._first_pass_delay_s = first_pass_delay_s
        self._due_at = 0.0                  # monotonic time of the next pass
        self._backoff = 0.0
        self._runtime: dict = {}
        self._activity: deque[tuple[datetime, str]] = deque(maxlen=50)
        self._last_progress_emit = 0.0
        self._thread: QThread | None = None
        self.native_id: int | None = None
        self._last_status = SyncStatus()

    # --- life cycle (UI thread) ---------------------------------------------------------------------------
    def start(self) -> None:
        # The worker object stays on the UI thread; only its loop runs on the QThread. Its signals, emitted
        # from the loop, are therefore queued to the UI thread, and the object is deleted where it lives.
        thread = _LoopThread(self._loop)
        thread.setObjectName("rulrr-sync")
        self._thread = thread
        thread.start()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Asks the loop to finish its in-flight requests and waits up to `timeout_s`. True when it ended."""
        self._stop.set()
        self._poke("quit")
        thread = self._thread
        if thread is None:
            return True
        ended = thread.wait(int(timeout_s * 1000))
        if ended:
            self._thread = None
        else:
            log.warning("the sync thread did not end within %.0f s", timeout_s)
        return ended

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    # --- commands (any thread; they only set a flag) ----------------------------------------------------------
    def sync_now(self) -> None:
        with self._cond:
            self._due_at = 0.0
            self._backoff = 0.0
            self._runtime.pop("paused_until", None)
            self._runtime.pop("pause_reason", None)
            self._wake("sync now")

    def pause(self) -> None:
        with self._cond:
            self._paused_by_user = True
            self._wake("pause")

    def resume(self) -> None:
        with self._cond:
            self._paused_by_user = False
        self.sync_now()

    def refresh(self) -> None:
        """Re-read the status (after settings changed or the wizard finished) and sync soon."""
        self.sync_now()

    def set_online(self, online: bool) -> None:
        with self._cond:
            was = self._online
            self._online = online
            if online and (not was or self._resumed_waiting_network):
                # back online (or awake again): sync soon, with jitter so a shop's PCs don't all call at once
                self._resumed_waiting_network = False
                self._due_at = time.monotonic() + random.uniform(0.5, self.jitter_s)
                self._backoff = 0.0
                self._runtime.pop("paused_until", None)
                self._runtime.pop("pause_reason", None)
            self._wake("network")

    def system_resumed(self) -> None:
        """After sleep: wait for the network, then sync with jitter."""
        with self._cond:
            self._resumed_waiting_network = True
            self._activity.appendleft((_now(), "The computer woke up"))
            if self._online:
                self._due_at = time.monotonic() + random.uniform(0.5, self.jitter_s)
                self._resumed_waiting_network = False
            self._wake("resume")

    def _wake(self, reason: str) -> None:
        """Call with the condition held."""
        self._wake_reason = reason
        self._wakes += 1
        self._cond.notify_all()

    def _poke(self, reason: str) -> None:
        with self._cond:
            self._wake(reason)

    # --- the loop (worker thread) -----------------------------------------------------------------------------
    def _interval(self) -> float:
        if self._interval_override is not None:
            return self._interval_override
        try:
            return float(self.backend.settings().sync.interval_seconds)
        except Exception:
            return 60.0

    def _status(self, **runtime) -> SyncStatus:
        """The backend's facts with the loop's own (syncing, paused, offline, error) on top."""
        with self._cond:
            self._runtime.update(runtime)
            rt = dict(self._runtime)
            paused = self._paused_by_user
            online = self._online
            activity = tuple(self._activity)
            due = self._due_at
        try:
            base = self.backend.status()
        except Exception as exc:   # the status itself cannot be read: that is an error to show
            log.exception("reading the status failed")
            base = self._last_status.with_changes(error=ErrorInfo.of(exc))
        next_sync = None
        if due and not paused:
            next_sync = _now() + timedelta(seconds=max(0.0, due - time.monotonic()))
        status = base.with_changes(
            syncing=rt.get("syncing", False), progress=rt.get("progress"),
            paused_by_user=paused, paused_until=rt.get("paused_until"),
            pause_reason=rt.get("pause_reason", ""), offline=not online,
            error=rt.get("error") or base.error, next_sync=next_sync,
            activity=activity or base.activity)
        self._last_status = status
        return status

    def _emit(self, status: SyncStatus) -> None:
        self.statusChanged.emit(status)

    def _on_progress(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self._last_progress_emit < PROGRESS_EVERY_S and progress.done < progress.total:
            return
        self._last_progress_emit = now
        with self._cond:
            self._runtime["progress"] = progress
            rt = dict(self._runtime)
        # a cheap status: no ledger read on every progress tick
        self._emit(self._last_status.with_changes(syncing=True, progress=rt["progress"]))

    def _loop(self) -> None:
        self.native_id = threading.get_native_id()     # for diagnostics and the responsiveness test
        try:
            with self._cond:
                if self._first_pass_delay_s and not self._due_at:
                    self._due_at = time.monotonic() + self._first_pass_delay_s
            self._emit(self._status())
            while not self._stop.is_set():
                woken = self._wait_until_due()
                if self._stop.is_set():
                    break
                if woken:   # a command arrived before the pass is due: show the new state at once
                    self._emit(self._status())
                    continue
                self._run_pass()
        finally:
            self.stopped.emit()

    def _wait_until_due(self) -> bool:
        """Blocks until a pass is due (returns False) or a command arrives (returns True)."""
        with self._cond:
            wait = self._due_at - time.monotonic()
            can_run = not self._paused_by_user and self._online
            if self._wakes != self._seen_wakes:      # a command arrived while we were busy
                self._seen_wakes = self._wakes
                return True
            if can_run and wait <= 0:
                return False
            self._cond.wait(timeout=wait if can_run else None)
            woken = self._wakes != self._seen_wakes
            self._seen_wakes = self._wakes
            return woken

    def _run_pass(self) -> None:
        if not self._last_status.connected and not self._probe_connected():
            with self._cond:
                self._due_at = time.monotonic() + self._interval()
            return
        self._emit(self._status(syncing=True, progress=None, error=None, paused_until=None, pause_reason=""))
        error: ErrorInfo | None = None
        pause_until = None
        reason = ""
        try:
            self.backend.sync_once(self._stop, self._on_progress)
            self._backoff = 0.0
            self._note("Sent what was new")
        except AppError as exc:
            if getattr(exc, "retryable", False):
                self._backoff = min(BACKOFF_MAX_S, max(BACKOFF_START_S, self._backoff * 2))
                pause_until = _now() + timedelta(seconds=self._backoff)
                reason = exc.title
                self._note(f"{exc.title}; trying again at {pause_until.astimezone():%H:%M}")
                log.warning("sync pass failed, retrying in %.0f s: %s", self._backoff, exc)
            else:
                error = ErrorInfo.of(exc)
                self._note(exc.title)
                log.error("sync pass failed: %s", exc)
        except Exception as exc:  # a bug: show it, log it, keep the loop alive
            log.exception("sync pass crashed")
            error = ErrorInfo.of(exc)
            self._note(error.title)
        from rulrr_desktop.ui.runtime import collect_when_idle
        collect_when_idle()     # between passes few objects are alive: a short full collection
        with self._cond:
            if pause_until is not None:
                self._due_at = time.monotonic() + self._backoff
            else:
                self._due_at = time.monotonic() + self._interval()
            self._runtime.pop("progress", None)
        status = self._status(syncing=False, progress=None, error=error, paused_until=pause_until,
                              pause_reason=reason)
        self._emit(status)
        self.passFinished.emit(status)

    def _probe_connected(self) -> bool:
        status = self._status()
        self._emit(status)
        return status.connected

    def _note(self, text: str) -> None:
        with self._cond:
            self._activity.appendleft((_now(), text))
