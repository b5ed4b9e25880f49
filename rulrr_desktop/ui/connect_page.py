"""`ConnectPage`: the wizard page where the merchant connects the store on Rulrr's own Connect page.

The page shows Rulrr's Connect page (`ui.web.ConfinedWebView`: off the record, confined to the Connect origin)
and drives a `core.connect.ConnectSession`: a QTimer polls the integration status every `poll_interval_s`
(1.5 s by default, doubled up to `max_backoff_s` while Rulrr cannot be reached) while the page is visible, and
stops on a final state or when the page is hidden, closed or destroyed. Every session call (HTTP, keyring)
runs on a one-thread worker, never on the UI thread; its result comes back as a queued signal.

What the merchant sees, and `stateChanged` reports:
  "starting"          preparing the connection (a fresh integration token)
  "loading"           the Connect page is loading
  "page"              Rulrr's Connect page (sign in, choose the store, Connect)
  "load_error"        the page could not be loaded: Retry / Open in browser instead (polling goes on)
  "in_browser"        the merchant continues in the system browser (polling goes on)
  "exchanging"        the merchant confirmed: fetching the keys and storing them in the keyring
  "stored"            connected: `connected(Connection)` was emitted
  "stored_in_memory"  the keyring failed: the keys are held in memory, retried every few seconds (`error`)
  "cancelled"         the merchant cancelled: Try again
  "failed"            a fatal error (`failed(AppError)` was emitted), e.g. bad partner credentials
An expired integration token (15 minutes) is replaced by a fresh one and the page reloads, with a one-line
notice; it passes through "expired" on the way.

QtWebEngine is imported only when the first page is shown (see `ui.web`).
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QStackedWidget, QVBoxLayout,
                               QWidget)

from rulrr_desktop.core.config import AppPaths
from rulrr_desktop.core.connect import ConnectSession, ConnectState
from rulrr_desktop.core.errors import AppError

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL_S = 1.5
MAX_BACKOFF_S = 15.0
KEYRING_RETRY_S = 5.0
_ERR_ABORTED = -3          # Chromium: a load replaced by another one (not a failure to show)

EXPIRED_NOTICE = "The Connect page was open for 15 minutes, so it was reloaded with a fresh link."
OFFLINE_NOTICE = "Rulrr cannot be reached right now; trying again by itself…"


class _Bridge(QObject):
    """Carries a worker's result back to the UI thread (queued)."""

    done = Signal(int, str, object, object)      # generation, step, result, error


def _unexpected(exc: BaseException) -> AppError:
    return AppError(f"an unexpected error happened while connecting ({type(exc).__name__})")


class ConnectPage(QWidget):
    """The Connect step of the wizard. `session_factory()` builds the `ConnectSession` (on the worker thread,
    as reading the partner credentials may touch the keyring); `ConnectPage.for_profile(paths)` is the usual one.
    """

    connected = Signal(object)     # core.connection.Connection
    failed = Signal(object)        # AppError
    stateChanged = Signal(str)     # see the module docstring

    def __init__(self, session_factory: Callable[[], ConnectSession], *,
                 poll_interval_s: float = DEFAULT_POLL_INTERVAL_S, max_backoff_s: float = MAX_BACKOFF_S,
                 keyring_retry_s: float = KEYRING_RETRY_S, auto_start: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConnectPage")
        self._session_factory = session_factory
        self.poll_interval_s = poll_interval_s
        self.max_backoff_s = max_backoff_s
        self.keyring_retry_s = keyring_retry_s
        self._auto_start = auto_start
        self.session: ConnectSession | None = None
        self.error: AppError | None = None
        self.connection = None
        self.state = "new"
        self.notice = ""
        self._generation = 0
        self._delay_s = poll_interval_s
        self._pending_step: str | None = None     # what the timer runs next
        self._busy = False
        self._closed = False
        self._page_url = ""
        self._view = None
        self._profile = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rulrr-connect")
        self._futures: set[Future] = set()
        self._session_holder: dict = {}         # the session, for the clean-up when the page is destroyed
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)
        self._build()
        self.destroyed.connect(functools.partial(_release, self._executor, self._session_holder, keyring_retry_s))

    @classmethod
    def for_profile(cls, paths: AppPaths, **kwargs: Any) -> "ConnectPage":
        """A page that connects `paths.profile` with the partner credentials of its settings."""
        def factory() -> ConnectSession:
            from rulrr_desktop.core.credentials import load_credentials
            return ConnectSession(paths, load_credentials(paths))
        return cls(factory, **kwargs)

    # -- layout --------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self._notice = QLabel(self)
        self._notice.setObjectName("connectNotice")
        self._notice.setWordWrap(True)
        self._notice.setStyleSheet("background: #fff4ce; color: #3b3000; padding: 6px 12px;")
        self._notice.hide()
        layout.addWidget(self._notice)
        self._stack = QStackedWidget(self)
        layout.addWidget(self._stack, 1)

        self._loading = QWidget(self._stack)
        box = QVBoxLayout(self._loading)
        box.addStretch(1)
        self._loading_label = QLabel("Preparing the connection to Rulrr…", self._loading)
        self._loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addWidget(self._loading_label)
        bar = QProgressBar(self._loading)
        bar.setRange(0, 0)
        bar.setMaximumWidth(320)
        bar.setTextVisible(False)
        box.addWidget(bar, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)
        self._stack.addWidget(self._loading)

        self._message = QWidget(self._stack)
        outer = QHBoxLayout(self._message)
        outer.addStretch(1)
        column = QWidget(self._message)
        column.setMaximumWidth(560)
        column.setMinimumWidth(320)
        outer.addWidget(column, 4)
        outer.addStretch(1)
        box = QVBoxLayout(column)
        self._message_box = box
        box.setContentsMargins(24, 24, 24, 24)
        box.setSpacing(12)
        box.addStretch(1)
        self._title = QLabel(self._message)
        self._title.setObjectName("connectTitle")
        font = QFont(self._title.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self._title.setFont(font)
        self._title.setWordWrap(True)
        box.addWidget(self._title)
        self._body = QLabel(self._message)
        self._body.setObjectName("connectBody")
        self._body.setWordWrap(True)
        self._body.setTextFormat(Qt.TextFormat.PlainText)
        box.addWidget(self._body)
        row = QHBoxLayout()
        self.retry_button = QPushButton("Retry", self._message)
        self.retry_button.clicked.connect(self.retry_load)
        self.browser_button = QPushButton("Open in browser instead", self._message)
        self.browser_button.clicked.connect(self.open_in_browser)
        self.try_again_button = QPushButton("Try again", self._message)
        self.try_again_button.clicked.connect(self.try_again)
        self.keyring_button = QPushButton("Try again", self._message)
        self.keyring_button.clicked.connect(self.retry_keyring)
        for button in (self.retry_button, self.browser_button, self.try_again_button, self.keyring_button):
            row.addWidget(button)
        row.addStretch(1)
        box.addLayout(row)
        box.addStretch(2)
        self._stack.addWidget(self._message)

    def _ensure_view(self):
        """Creates the web view on first use (this is where QtWebEngine gets loaded)."""
        if self._view is None:
            from rulrr_desktop.ui.web import ConfinedWebView, use_proxy
            from PySide6.QtWebEngineCore import QWebEngineProfile
            use_proxy(self.session.credentials.proxy if self.session else None)   # before the first page loads
            # Off the record (no storage name). A child of this page created after the stack, so Qt deletes the
            # view and its page first and the profile last.
            self._profile = QWebEngineProfile(self)
            self._view = ConfinedWebView(self._profile, QUrl(self._page_url), self._stack)
            self._view.setObjectName("connectWebView")
            self._view.page().loadingChanged.connect(self._on_loading_changed)
            self._stack.addWidget(self._view)
        return self._view

    # -- public actions ------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Begins the flow: a fresh integration token, then the Connect page. Idempotent while running."""
        if self._closed or self.state not in ("new", "cancelled", "failed"):
            return
        self._generation += 1
        self.error = None
        self._delay_s = self.poll_interval_s
        self._set_state("starting")
        self._show_loading("Preparing the connection to Rulrr…")
        self._run("start", self._start_session)

    def try_again(self) -> None:
        """After a cancellation or a failure: start over with a fresh integration token."""
        if self.state in ("cancelled", "failed"):
            self._set_notice("")
            self.start()

    def retry_load(self) -> None:
        """Loads the Connect page again (after a load error, or coming back from the browser)."""
        if self._page_url and self.state in ("load_error", "in_browser", "page", "loading"):
            self._load_page()

    def open_in_browser(self) -> None:
        """Continues in the system browser; this page keeps polling and moves on by itself."""
        if not self._page_url:
            return
        QDesktopServices.openUrl(QUrl(self._page_url))
        self._set_state("in_browser")
        self.browser_button.setText("Open the page again")
        self.retry_button.setText("Show the page here")
        self._show_message("Finish connecting in your web browser",
                           "Sign in to Rulrr there, choose your store and click Connect. "
                           "This window moves on by itself.",
                           buttons=(self.browser_button, self.retry_button))

    def retry_keyring(self) -> None:
        """Tries to store the held keys in the keyring again (the staff unlocked or installed it)."""
        if self.state == "stored_in_memory" and not self._busy:
            self._timer.stop()
            self._run("retry_store", lambda: self.session.retry_store())

    def stop(self) -> None:
        """Stops polling for good and lets the worker go (the page is being closed)."""
        if self._closed:
            return
        self._closed = True
        self._generation += 1
        self._timer.stop()
        for future in list(self._futures):
            future.cancel()
        _release(self._executor, self._session_holder, self.keyring_retry_s)
        self._release_web()

    def _release_web(self) -> None:
        """Deletes the web page, then the view, then the profile, now: Chromium warns (and may crash at exit)
        when a profile goes before its page."""
        view, profile = self._view, self._profile
        self._view = self._profile = None
        if view is None:
            return
        import shiboken6
        page = view.page()
        for obj in (page, view, profile):
            if obj is not None and shiboken6.isValid(obj):
                shiboken6.delete(obj)

    # -- Qt events -----------------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._auto_start and self.state == "new":
            QTimer.singleShot(0, self.start)
        elif self._pending_step and not self._busy and not self._timer.isActive():
            self._timer.start(0)          # resume polling where it stopped

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        if not event.spontaneous():       # a minimised window keeps polling (the merchant may be in the browser)
            self._timer.stop()            # resumed by showEvent

    def closeEvent(self, event) -> None:  # noqa: N802
        self.stop()
        super().closeEvent(event)

    # -- the worker ----------------------------------------------------------------------------------------------
    def _start_session(self) -> ConnectState:
        session = self.session
        if session is None or session.state is ConnectState.FAILED:
            if session is not None:
                session.close()
            session = self._session_factory()
            self.session = session
            self._session_holder["session"] = session
            return session.start()
        return session.restart()

    def _run(self, step: str, fn: Callable[[], Any]) -> None:
        if self._closed:
            return
        generation, bridge = self._generation, self._bridge
        self._busy = True
        self._pending_step = None

        def job() -> None:
            result = error = None
            try:
                result = fn()
            except AppError as exc:
                error = exc
            except Exception as exc:  # a bug must reach the screen, not stall the wizard
                log.exception("connect step %s crashed", step)
                error = _unexpected(exc)
            try:
                bridge.done.emit(generation, step, result, error)
            except RuntimeError:       # the page was destroyed meanwhile
                pass

        future = self._executor.submit(job)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    def _schedule(self, step: str, delay_s: float) -> None:
        self._pending_step = step
        if self.isVisible():
            self._timer.start(int(delay_s * 1000))

    def _on_timer(self) -> None:
        step, self._pending_step = self._pending_step, None
        if step is None or self._closed:
            return
        if step == "start":
            self._run("start", self._start_session)
        elif step == "poll":
            self._run("poll", lambda: self.session.poll())
        elif step == "exchange":
            self._run("exchange", lambda: self.session.exchange_and_store())
        elif step == "retry_store":
            self._run("retry_store", lambda: self.session.retry_store())

    def _on_done(self, generation: int, step: str, result: Any, error: AppError | None) -> None:
        if generation != self._generation or self._closed:
            return
        self._busy = False
        if error is not None:
            self._on_error(step, error)
            return
        if self.notice == OFFLINE_NOTICE:
            self._set_notice("")
        self._delay_s = self.poll_interval_s
        state: ConnectState = result
        if step == "start":
            self._page_url = self.session.page_url
            self._load_page()
            self._schedule("poll", self.poll_interval_s)
        elif state is ConnectState.PENDING:
            self._schedule("poll", self.poll_interval_s)
        elif state is ConnectState.FINISHED:
            self._set_state("exchanging")
            self._show_loading("Connecting to your store…")
            self._run("exchange", lambda: self.session.exchange_and_store())
        elif state is ConnectState.CANCELLED:
            self._set_state("cancelled")
            self._show_message("Connecting was cancelled",
                               "Nothing was connected: the Connect page was cancelled. "
                               "Click Try again to start over.", buttons=(self.try_again_button,))
        elif state is ConnectState.EXPIRED:
            self._set_state("expired")
            self._set_notice(EXPIRED_NOTICE)
            self._show_loading("Getting a fresh Connect page…")
            self._run("start", self._start_session)
        elif state is ConnectState.STORED:
            self._connected()
        elif state is ConnectState.STORED_IN_MEMORY:
            self.error = self.session.error
            self._set_state("stored_in_memory")
            err = self.error or AppError("the keys could not be stored")
            self._show_message(err.title, _error_text(err), buttons=(self.keyring_button,))
            self._schedule("retry_store", self.keyring_retry_s)
        elif state is ConnectState.FAILED:
            self._fail(self.session.error or AppError("connecting failed"))

    def _on_error(self, step: str, error: AppError) -> None:
        session = self.session
        fatal = session is None or session.state is ConnectState.FAILED or not getattr(error, "retryable", False)
        if fatal:
            self._fail(error)
            return
        self._delay_s = min(self.max_backoff_s, max(self.poll_interval_s, self._delay_s * 2))
        log.info("connect: %s failed (%s); next try in %.1f s", step, error.title, self._delay_s)
        if not self.notice:
            self._set_notice(OFFLINE_NOTICE)
        self._schedule(step, self._delay_s)

    # -- outcomes ------------------------------------------------------------------------------------------------
    def _connected(self) -> None:
        self.connection = self.session.connection
        self.error = None
        self._set_state("stored")
        self._set_notice("")
        name = getattr(self.connection, "store_name", "") or "your store"
        self._show_message(f"Connected to {name}", "Rulrr Desktop will now keep Rulrr up to date with this "
                           "store's sales.", buttons=())
        self.connected.emit(self.connection)

    def _fail(self, error: AppError) -> None:
        self.error = error
        self._pending_step = None
        self._timer.stop()
        self._set_state("failed")
        self._show_message(error.title, _error_text(error), buttons=(self.try_again_button,))
        self.failed.emit(error)

    # -- the web page --------------------------------------------------------------------------------------------
    def _load_page(self) -> None:
        view = self._ensure_view()
        view.page().set_allowed(QUrl(self._page_url))
        self._set_state("loading")
        self._show_loading("Opening the Rulrr Connect page…")
        view.load(QUrl(self._page_url))

    def _on_loading_changed(self, info) -> None:
        from PySide6.QtWebEngineCore import QWebEngineLoadingInfo
        if self.state not in ("loading", "page", "load_error", "in_browser", "expired", "starting"):
            return
        status = info.status()
        if status == QWebEngineLoadingInfo.LoadStatus.LoadSucceededStatus:
            if self.state in ("loading", "load_error"):
                self._set_state("page")
                self._stack.setCurrentWidget(self._view)
        elif status == QWebEngineLoadingInfo.LoadStatus.LoadFailedStatus:
            if info.errorCode() == _ERR_ABORTED or self.state == "in_browser":
                return
            log.warning("the Connect page could not be loaded (%s %s)", info.errorDomain().name, info.errorCode())
            self._set_state("load_error")
            self.retry_button.setText("Retry")
            self.browser_button.setText("Open in browser instead")
            self._show_message("The Rulrr Connect page could not be opened",
                               "Check the internet connection, then click Retry. You can also finish in your "
                               "web browser: this window moves on by itself when you click Connect there.",
                               buttons=(self.retry_button, self.browser_button))

    # -- small helpers ----------------------------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            log.debug("connect page: %s", state)
            self.stateChanged.emit(state)

    def _set_notice(self, text: str) -> None:
        self.notice = text
        self._notice.setText(text)
        self._notice.setVisible(bool(text))

    def _show_loading(self, text: str) -> None:
        self._loading_label.setText(text)
        self._stack.setCurrentWidget(self._loading)

    def _show_message(self, title: str, body: str, *, buttons: tuple[QPushButton, ...]) -> None:
        self._title.setText(title)
        self._body.setText(body)
        for button in (self.retry_button, self.browser_button, self.try_again_button, self.keyring_button):
            button.setVisible(button in buttons)
        self._message_box.invalidate()      # new texts: lay out again before the next paint
        self._message_box.activate()
        self._stack.setCurrentWidget(self._message)


def _error_text(error: AppError) -> str:
    """The detail as a sentence, then the action, for the message panel."""
    detail = error.detail.strip().rstrip(".")
    detail = f"{detail[:1].upper()}{detail[1:]}." if detail else ""
    return "\n\n".join(part for part in (detail, error.action) if part)


def _release(executor: ThreadPoolExecutor, holder: dict, keyring_retry_s: float = KEYRING_RETRY_S) -> None:
    """Lets the worker thread end and closes the session's HTTP client (never blocks the UI thread).

    Keys held in memory (the keyring failed) must outlive the page: they keep being stored in the background."""
    session = holder.pop("session", None)
    if session is not None and session.state is ConnectState.STORED_IN_MEMORY:
        session.store_in_background(keyring_retry_s)
        session = None
    try:
        if session is not None:
            executor.submit(session.close)
        executor.shutdown(wait=False, cancel_futures=False)
    except RuntimeError:                  # already shut down
        pass
