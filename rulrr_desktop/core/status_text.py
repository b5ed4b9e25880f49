"""What the tray and the window say about sync: one snapshot of the facts in, one state, icon and plain
sentences out.

Kept Qt-free and pure (the clock is a parameter) so every tray state and every sentence is tested without a
display, and so the CLI could say the same words. The worker thread builds a `SyncStatus`; the UI only renders
the `StatusText` that `describe()` makes of it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta


class SyncState(str, enum.Enum):
    """The seven states the tray can show, each with its own icon (resources/icons/tray-<value>.svg)."""

    UP_TO_DATE = "up-to-date"
    SYNCING = "syncing"
    PAUSED = "paused"
    OFFLINE = "offline"
    ATTENTION = "attention"
    ERROR = "error"
    NOT_CONNECTED = "not-connected"

    @property
    def icon_name(self) -> str:
        return f"tray-{self.value}.svg"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    SyncState.UP_TO_DATE: "Up to date",
    SyncState.SYNCING: "Sending orders",
    SyncState.PAUSED: "Paused",
    SyncState.OFFLINE: "Offline",
    SyncState.ATTENTION: "Needs attention",
    SyncState.ERROR: "Not sending",
    SyncState.NOT_CONNECTED: "Not connected",
}


@dataclass(frozen=True)
class Progress:
    """A pass that is sending: `done` of `total` orders, at `rate` orders/s (0 when not known yet)."""

    done: int = 0
    total: int = 0
    rate: float = 0.0

    @property
    def eta_seconds(self) -> float | None:
        if self.rate <= 0 or self.total <= self.done:
            return None
        return (self.total - self.done) / self.rate

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


@dataclass(frozen=True)
class ProblemRow:
    """A quarantined row, as the staff sees it: where it is in the export and why it was not sent."""

    where: str
    reason: str


@dataclass(frozen=True)
class ErrorInfo:
    """An AppError flattened for a signal across threads: title, detail, action."""

    title: str
    detail: str = ""
    action: str = ""

    @classmethod
    def of(cls, exc: BaseException) -> "ErrorInfo":
        from rulrr_desktop.core.errors import AppError
        from rulrr_desktop.core.redact import redact
        if isinstance(exc, AppError):
            return cls(redact(exc.title), redact(exc.detail), redact(exc.action))
        return cls("Something went wrong inside the app", redact(f"{type(exc).__name__}: {exc}"),
                   AppError.action)


@dataclass(frozen=True)
class SyncStatus:
    """Every fact the UI shows about one profile, gathered off the UI thread."""

    connected: bool = False
    store_name: str = ""
    token_expires: datetime | None = None
    source_label: str = ""              # "orders.csv (Square Item Sales)"
    syncing: bool = False
    progress: Progress | None = None
    paused_by_user: bool = False
    paused_until: datetime | None = None    # a back-off after a failure, or the user's pause with an end
    pause_reason: str = ""
    offline: bool = False
    last_sync: datetime | None = None
    next_sync: datetime | None = None
    delivered_today: int = 0
    delivered_total: int = 0
    pending: int = 0
    quarantined: int = 0
    skipped: int = 0
    problems: tuple[ProblemRow, ...] = ()
    error: ErrorInfo | None = None
    daily: tuple[tuple[date, int], ...] = ()       # orders delivered per day, oldest first
    activity: tuple[tuple[datetime, str], ...] = ()    # recent events, newest first

    def with_changes(self, **changes) -> "SyncStatus":
        return replace(self, **changes)


def state_of(status: SyncStatus) -> SyncState:
    """The one state to show. A problem that stops sending beats one that doesn't; activity beats rest."""
    if not status.connected:
        return SyncState.NOT_CONNECTED
    if status.error is not None:
        return SyncState.ERROR
    if status.offline:
        return SyncState.OFFLINE
    if status.paused_by_user or status.paused_until is not None:
        return SyncState.PAUSED
    if status.syncing:
        return SyncState.SYNCING
    if status.quarantined:
        return SyncState.ATTENTION
    return SyncState.UP_TO_DATE


def ago(moment: datetime | None, now: datetime) -> str:
    """ "just now", "2 min ago", "3 h ago", "yesterday at 14:05", "on 12 Jun" """
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    local_now, local = now.astimezone(), moment.astimezone()
    if local.date() == local_now.date():
        return f"{int(seconds // 3600)} h ago"
    if local.date() == local_now.date() - timedelta(days=1):
        return f"yesterday at {clock(moment)}"
    return f"on {local.day} {local.strftime('%b')}"


def clock(moment: datetime) -> str:
    """14:05 in the computer's local time."""
    return moment.astimezone().strftime("%H:%M")


def duration(seconds: float) -> str:
    """ "under a minute", "about 4 min", "about 2 h 10 min" """
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    return f"about {minutes // 60} h {minutes % 60:02d} min"


def count(n: int, one: str, many: str | None = None) -> str:
    """ "1 order", "1,204 orders" """
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


@dataclass(frozen=True)
class StatusText:
    """What to show: the state (icon), a headline, a second line, the tooltip, and the tray menu's items."""

    state: SyncState
    headline: str
    summary: str
    tooltip: str
    problems_label: str = "Show problems"
    pause_label: str = "Pause sending"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def icon_name(self) -> str:
        return self.state.icon_name


def describe(status: SyncStatus, now: datetime) -> StatusText:
    """Turns the facts into the words the staff reads in the tray tooltip, the menu and the window."""
    state = state_of(status)
    summary = f"Last sync {ago(status.last_sync, now)} · {count(status.delivered_today, 'order')} today"
    if state is SyncState.NOT_CONNECTED:
        headline = "Not connected to Rulrr"
        summary = "Open Rulrr Desktop and connect your store to start sending orders."
    elif state is SyncState.ERROR:
        assert status.error is not None
        headline = status.error.title
        summary = " ".join(p for p in (sentence(status.error.detail), status.error.action) if p)
    elif state is SyncState.OFFLINE:
        headline = "Offline: waiting for the network"
        summary = f"{summary}. Sending resumes by itself when the connection is back."
    elif state is SyncState.PAUSED:
        reason = status.pause_reason or ("paused by you" if status.paused_by_user else "")
        headline = (f"Paused until {clock(status.paused_until)}" if status.paused_until else "Paused")
        headline += f": {reason}" if reason else ""
        if status.paused_until is not None and not status.paused_by_user:
            summary += ". Nothing is lost: sending resumes by itself."
    elif state is SyncState.SYNCING:
        p = status.progress
        if p is not None and p.total:
            headline = f"Sending orders: {p.done:,} of {p.total:,}"
            extra = [f"{p.rate:,.0f} orders/s" if p.rate >= 1 else ""]
            if p.eta_seconds is not None:
                extra.append(f"{duration(p.eta_seconds)} left")
            summary = " · ".join(x for x in extra if x) or summary
        else:
            headline = "Sending orders…"
    elif state is SyncState.ATTENTION:
        headline = f"{count(status.quarantined, 'order')} could not be sent"
        summary += ". Open the app to see what to fix."
    else:
        headline = "Up to date"
    name = status.store_name
    tooltip = f"Rulrr Desktop{' · ' + name if name else ''}\n{headline}\n{summary}"
    problems = status.quarantined
    return StatusText(
        state=state, headline=headline, summary=summary, tooltip=tooltip,
        problems_label=f"Show problems ({problems:,})" if problems else "Show problems",
        pause_label="Resume sending" if status.paused_by_user else "Pause sending",
    )


def sentence(text: str) -> str:
    """Capitalised, with a full stop: for joining an error's detail and action."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class NotificationPolicy:
    """Decides when to pop a desktop notification: on the first error, and once on recovery. Never a storm:
    an error that comes and goes is announced at most once per `quiet` period."""

    def __init__(self, quiet: timedelta = timedelta(minutes=30)) -> None:
        self.quiet = quiet
        self._in_error = False
        self._last_error_note: datetime | None = None
        self._announced = False

    def update(self, status: SyncStatus, now: datetime) -> tuple[str, str] | None:
        """Returns (title, message) to show now, or None."""
        state = state_of(status)
        if state is SyncState.ERROR:
            if self._in_error:
                return None
            self._in_error = True
            if self._last_error_note is not None and now - self._last_error_note < self.quiet:
                self._announced = False
                return None
            self._last_error_note = now
            self._announced = True
            err = status.error
            assert err is not None
            return err.title, " ".join(p for p in (sentence(err.detail), err.action) if p)
        if self._in_error and state in (SyncState.UP_TO_DATE, SyncState.SYNCING, SyncState.ATTENTION):
            self._in_error = False
            if self._announced:
                self._announced = False
                return "Sending again", "Rulrr Desktop is sending orders again. Nothing was lost."
        return None
