"""The SyncEngine: reads what is new in the POS export and delivers every order to Rulrr exactly once.

A pass (`run_once`) has two sides that run at once, so that the first orders leave while the export is still
being read: the source side (a thread) reads new records through the mapping pipeline into the ledger, each
batch and its cursor in one transaction, then PUTs the store profile if it changed and uploads the customer list
if its content changed; the sending side (an event loop) claims orders from the ledger as soon as a batch is
recorded and delivers them. They share the ledger (whose transactions keep them apart) and the access token;
progress is reported from the sending side only.
Exactly-once without an idempotency key rests on three rules:
  1. an order is durably `in_flight` before its POST leaves (claimed in batches, one fsynced transaction);
  2. an order whose outcome was not seen (crash, timeout, reset, lost answer) is settled with
     GET /v1/orders?orderId= before it is ever sent again: found → delivered, 404 → pending;
  3. only a certain "not delivered" (connection refused, 400/403/429/503) sends it back to pending.
Requests run concurrently (an AIMD window, see sync_pacing) over one keep-alive pool (sync_http); failures are
retried with jittered back-off per order, so they never block the orders behind them. A 403 gets one token
refresh; if that fails the pass stops with NotAuthorised ("Reconnect to Rulrr") and nothing is lost. Only one
pass runs at a time per profile, across processes (sync_lock), so rule 2 never races another sender.

No Qt here: progress goes to a plain callback, so the CLI draws a bar and the UI adapts it to a signal.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import json
import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol

from rulrr_desktop.core.api.errors import (NetworkError, NotAuthorised, OutcomeUnknown, RateLimited, RulrrError,
                                           ServerError, ValidationFailed)
from rulrr_desktop.core.config import AppPaths, Settings
from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.ledger import Claim, Counts, Ledger, Outcome
from rulrr_desktop.core.redact import redact
from rulrr_desktop.core.sync_http import OrderPoster
from rulrr_desktop.core.sync_lock import SyncBusy, SyncLock
from rulrr_desktop.core.sync_pacing import AimdWindow, backoff_delay

log = logging.getLogger(__name__)


class TokenSource(Protocol):
    """What the engine needs from `core.tokens.TokenManager`."""

    def access_token(self) -> str: ...

    def refresh_after_forbidden(self, rejected_token: str | None = None) -> str: ...


class StoreProfileRefused(AppError):
    title = "Rulrr refused the store profile"
    action = "Open Settings → Store and correct it."


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """A snapshot for the progress bar / tray. Counts are over the whole ledger; `sent` is this pass."""

    phase: str                 # "reading" | "profile" | "customers" | "sending" | "waiting" | "done"
    delivered: int = 0
    pending: int = 0           # not delivered yet (includes in flight)
    quarantined: int = 0
    sent: int = 0              # delivered during this pass
    total: int = 0             # sent + pending at this moment: what this pass is working through
    rate: float = 0.0          # orders per second, recent
    eta_s: float | None = None
    concurrency: int = 0
    read: int = 0              # records read from the source this pass


@dataclass
class SyncReport:
    """What one pass did, and what is left."""

    read: int = 0               # new orders recorded from the source
    updated: int = 0            # not-yet-sent orders the source changed (the new version will be sent)
    changed: int = 0            # already-sent orders the source changed (noted; Rulrr has no update endpoint)
    delivered: int = 0          # delivered during this pass
    duplicates_reported: int = 0  # Rulrr said "duplicate" (should stay 0: we never resend blindly)
    settled_found: int = 0      # unknown outcomes that turned out delivered
    settled_missing: int = 0    # unknown outcomes that turned out not delivered
    rejected: int = 0           # orders Rulrr refused during this pass
    store_profile_sent: bool = False
    customers_uploaded: bool = False
    counts: Counts = field(default_factory=Counts)
    started_at: float = 0.0
    duration_s: float = 0.0
    stopped: bool = False       # the stop event ended the pass early
    error: AppError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """CONTRACT.md: 0 all delivered, 5 some rows quarantined as invalid, 6 Rulrr unreachable / not authorised."""
        if isinstance(self.error, RulrrError) and not isinstance(self.error, ValidationFailed):
            return 6
        if self.counts.quarantined or isinstance(self.error, (StoreProfileRefused, ValidationFailed)):
            return 5
        if isinstance(self.error, SyncBusy):
            return 1
        if self.error is not None:
            return 2      # the settings or the POS export cannot be read (as `preview`)
        return 0

    @property
    def orders_per_s(self) -> float:
        return self.delivered / self.duration_s if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class EngineOptions:
    """Tunables (tests shorten them)."""

    request_timeout_s: float = 30.0
    settle_delay_s: float = 2.0          # wait this long before asking Rulrr about an unknown outcome
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 60.0
    unreachable_after_s: float = 30.0    # a pass gives up (exit 6) after this long without any success ...
    unreachable_failures: int = 8        # ... and at least this many failed requests in a row
    claim_min: int = 256
    claim_max: int = 2048                # claims grow (×2) up to this while the queue runs dry during a claim
    flush_every_s: float = 0.05
    progress_every_s: float = 0.2
    read_batch_size: int = 1000          # small: sending starts after the first batch is recorded


class SyncEngine:
    """Delivers one profile's orders. Not thread-safe: one pass at a time (the UI runs it in a worker thread).

    `tokens`: a TokenManager (access_token(), refresh_after_forbidden()).
    `client_factory(access_token)`: a core.api.RulrrClient for the store profile and the customer list.
    `pipeline_factory(settings)`: a core.pipeline.Pipeline (batches(cursor), store_profile(), mapping_fingerprint).
    `progress(SyncProgress)`: called from the engine's thread, at most every `progress_every_s`.
    """

    def __init__(self, settings: Settings, paths: AppPaths, *, tokens: TokenSource,
                 client_factory: Callable[[str], Any] | None = None,
                 pipeline_factory: Callable[[Settings], Any] | None = None,
                 progress: Callable[[SyncProgress], None] | None = None,
                 options: EngineOptions | None = None, ledger: Ledger | None = None,
                 poster_factory: Callable[..., Any] = OrderPoster) -> None:
        self.settings = settings
        self.paths = paths
        self.tokens = tokens
        self.client_factory = client_factory or _default_client_factory(settings)
        self.pipeline_factory = pipeline_factory or _default_pipeline_factory
        self.progress = progress or (lambda p: None)
        self.options = options or EngineOptions()
        self.ledger = ledger or Ledger(paths.ensure().ledger_file)
        self.poster_factory = poster_factory
        self._token_generation = 0
        self._token = ""
        self._token_lock = threading.Lock()   # the sending loop and the source side (profile, customers) share it

    def close(self) -> None:
        self.ledger.close()

    # ------------------------------------------------------------------------------------------------------
    def run_forever(self, stop_event: threading.Event,
                    on_report: Callable[[SyncReport], None] | None = None) -> SyncReport:
        """Passes every `sync.interval_seconds` (sooner when a retry is due) until `stop_event` is set.

        Transient trouble (Rulrr unreachable) waits for the next pass; NotAuthorised ends the loop (nothing
        works until the store reconnects) and is returned in the report."""
        report = SyncReport()
        while not stop_event.is_set():
            report = self.run_once(stop_event)
            if on_report is not None:
                on_report(report)
            if isinstance(report.error, NotAuthorised):
                return report
            wait = float(self.settings.sync.interval_seconds)
            due = self.ledger.next_due()
            if due is not None and report.error is None:
                wait = min(wait, max(0.5, due - time.time()))
            stop_event.wait(wait)
        return report

    def run_once(self, stop_event: threading.Event | None = None) -> SyncReport:
        """One pass. Never raises an AppError: it is in `report.error` (and the ledger's last_error)."""
        stop_event = stop_event or threading.Event()
        report = SyncReport(started_at=time.time())
        self._token = ""  # ask the token manager again each pass (it renews the token ahead of expiry)
        started = time.monotonic()
        lock = SyncLock(self.ledger.path.parent / "sync.lock")
        try:
            lock.acquire()
            asyncio.run(self._deliver(stop_event, report, _SourceSide(self, stop_event, report)))
        except AppError as exc:
            report.error = exc
        except Exception as exc:  # a bug must not kill the tray's worker silently
            log.exception("sync pass failed")
            report.error = AppError(redact(f"{type(exc).__name__}: {exc}"), title="The sync stopped unexpectedly")
        finally:
            lock.release()
        report.stopped = stop_event.is_set()
        report.duration_s = time.monotonic() - started
        report.counts = self.ledger.counts()
        self.ledger.put(last_sync_at=time.time(), last_error=report.error.message if report.error else None,
                        last_error_at=time.time() if report.error else None,
                        last_delivered=report.delivered)
        if report.error is None and report.counts.unsent == 0:
            self.ledger.put(last_complete_sync_at=time.time())
        self._emit("done", report, force=True)
        return report

    @staticmethod
    def _step(report: SyncReport, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except NotAuthorised:
            raise
        except AppError as exc:
            log.warning("sync step failed: %s", exc)
            report.error = exc
            return None

    # --- reading ------------------------------------------------------------------------------------------
    def _prepare(self, stopping: Callable[[], bool], report: SyncReport, side: "_SourceSide") -> None:
        """The source side of a pass (in its own thread, see _SourceSide): read, then the store profile and the
        customer list. Each step's trouble is reported, but only "not authorised" stops the others (and the
        pass): orders already in the ledger go out even when the export cannot be read or the profile is
        refused."""
        pipeline = self._step(report, lambda: self._read(stopping, report, side.recorded))
        side.phase = "profile"
        if pipeline is not None and not stopping():
            self._step(report, lambda: self._send_store_profile(pipeline, report))
        side.phase = "customers"
        if not stopping():
            self._step(report, lambda: self._send_customers(report))

    def _read(self, stopping: Callable[[], bool], report: SyncReport, recorded: Callable[[], None]):
        """Records each mapped batch with its cursor (one transaction), and says so: the sending side claims
        from the ledger as soon as a batch is in it."""
        pipeline = self.pipeline_factory(self.settings)
        fingerprint = str(getattr(pipeline, "mapping_fingerprint", "") or "")
        cursor, stored = self.ledger.source_cursor()
        if cursor is not None and stored != fingerprint:
            log.info("the mapping changed: reading the source again from the start")
            self.ledger.reset_source(fingerprint)
            cursor = None
        cleared = False
        for batch in pipeline.batches(cursor, batch_size=self.options.read_batch_size):
            if batch.rewritten and not cleared:
                self.ledger.clear_source_quarantine()
                cleared = True
            summary = self.ledger.record_batch(batch.orders, batch.customers, batch.quarantined, batch.cursor,
                                               fingerprint)
            report.read += summary.new
            report.updated += summary.updated
            report.changed += summary.changed
            if summary.new or summary.updated:
                recorded()
            if stopping():
                break
        return pipeline

    # --- store profile and customers ----------------------------------------------------------------------
    def _with_client(self, call: Callable[[Any], Any]) -> Any:
        """Runs `call(client)`; on 403 refreshes the token once and tries again."""
        token = self._access_token()
        try:
            return call(self.client_factory(token))
        except NotAuthorised:
            return call(self.client_factory(self._refresh(token)))

    def _send_store_profile(self, pipeline, report: SyncReport) -> None:
        profile = pipeline.store_profile()
        fields = profile.to_api()
        digest = _hash(fields)
        if digest == self.ledger.get("store_hash"):
            return
        missing = profile.missing()
        if missing:
            raise StoreProfileRefused(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing")
        try:
            self._with_client(lambda client: client.put_store(fields))
        except ValidationFailed as exc:
            raise StoreProfileRefused(exc.detail) from None
        self.ledger.put(store_hash=digest, store_sent_at=time.time())
        report.store_profile_sent = True

    def _send_customers(self, report: SyncReport) -> None:
        digest = self.ledger.customers_hash()
        if digest == self.ledger.get("customers_hash"):
            return
        rows = self.ledger.customer_rows()
        if not rows:
            return
        customers = [_customer_from_row(r) for r in rows]
        self._with_client(lambda client: client.upload_customer_list(customers))
        self.ledger.put(customers_hash=digest, customers_sent_at=time.time(), customers_sent=len(rows))
        report.customers_uploaded = True

    # --- tokens -------------------------------------------------------------------------------------------
    def _access_token(self) -> str:
        token = self._token
        if token:
            return token
        with self._token_lock:
            if not self._token:
                self._token = self._token_from_manager()
            return self._token

    def _token_from_manager(self) -> str:
        source = self.tokens.access_token
        return source() if callable(source) else str(source)

    def _refresh(self, rejected: str | None = None) -> str:
        """One refresh after a 403 with `rejected` (None: the current token); raises NotAuthorised when Rulrr
        refuses it too. A token the other side of the pass renewed meanwhile is simply used."""
        with self._token_lock:
            if rejected is not None and self._token and rejected != self._token:
                return self._token
            new = self.tokens.refresh_after_forbidden(self._token or None)
            if not isinstance(new, str) or not new:
                new = self._token_from_manager()
            self._token = new
            self._token_generation += 1
            return new

    # --- delivering ---------------------------------------------------------------------------------------
    async def _deliver(self, stop_event: threading.Event, report: SyncReport, source: "_SourceSide") -> None:
        """The pass's event loop: sends what the ledger holds while `source` is still recording the export."""
        opts = self.options
        ledger = self.ledger
        window = AimdWindow(self.settings.sync.concurrency)
        state = _PassState(counts=ledger.counts(), started=time.monotonic())   # before the source side records
        for order_id, _body, attempts in ledger.unsettled():
            heapq.heappush(state.settle, (0.0, order_id, attempts))
        queue: deque[Claim] = deque()
        # A fixed pool of sender coroutines (one per slot of the window's maximum) carries the requests: a sender
        # takes the next job as soon as its request ends, inside the same turn of the loop, with no task and no
        # callback per order (creating a task per order cost more CPU than the order's own bookkeeping).
        active = 0                                   # requests in flight, at most window.limit
        free_senders: list[asyncio.Future] = []      # senders waiting for a job (resolved with it, or None: end)
        senders: list[asyncio.Task] = []
        outcomes: list[Outcome] = []
        last_flush = time.monotonic()
        next_claim_at = 0.0
        paused_until = 0.0
        refresh_task: asyncio.Future | None = None
        claiming: asyncio.Future | None = None     # the next window being marked in_flight (fsync) off the loop
        claim_size = max(opts.claim_min, 4 * window.maximum)
        # A claim is fsynced; on a busy disk that can outlast sending the half-claim still queued. When the window
        # finds the queue dry while a claim runs (and the last claim was full: more was due), claims double.
        starved = False
        more_due = False                             # the last claim was full
        loop = asyncio.get_running_loop()
        completed: deque[asyncio.Future] = deque()   # finished claims / token refreshes, for the loop below
        wakeup = asyncio.Event()
        refreshed = False
        fatal: AppError | None = None
        poster: Any = None
        broken: BaseException | None = None
        # Every ledger write of the pass (claims, outcomes) goes through this one thread, in submission order: the
        # senders never wait for SQLite, and an outcome is always written before a later claim looks at its row.
        ledger_io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        writing: deque[asyncio.Future] = deque()     # outcome batches being written, oldest first
        retry_since_claim = float("inf")             # earliest retry among outcomes produced since the last claim
        reading = True                               # the source side is still at work (see _SourceSide)
        recorded_since_claim = False                 # it recorded a batch the running claim may not have seen

        def on_done(task: asyncio.Future) -> None:
            completed.append(task)
            wakeup.set()

        def start(coro, callback=on_done) -> asyncio.Future:
            task = asyncio.ensure_future(coro)
            task.add_done_callback(callback)
            return task

        def take(now: float) -> tuple[str, Any] | None:
            """The next request for a free slot: due settlements first, then claimed orders. None when the window
            is full, the pass is stopping, paused or refreshing the token, or nothing is ready."""
            nonlocal active, starved
            if (active >= window.limit or stop_event.is_set() or fatal is not None or refresh_task is not None
                    or now < paused_until):
                return None
            if state.settle and state.settle[0][0] <= now:
                _, order_id, attempts = heapq.heappop(state.settle)
                job: tuple[str, Any] = ("settle", (order_id, attempts))
            elif queue:
                state.sending = True
                job = ("post", queue.popleft())
            else:
                if claiming is not None and more_due:
                    starved = True
                return None
            active += 1   # counted from the moment it is taken, so that no other sender overfills the window
            return job

        def refill(now: float) -> None:
            """Hands jobs to idle senders while the window has room (after a claim, a pause, a refresh, or when
            the window grows). Senders that are busy take their next job themselves."""
            while free_senders:
                job = take(now)
                if job is None:
                    return
                free_senders.pop().set_result(job)

        async def sender() -> None:
            """Sends one job after another: a POST, or a settling GET; notes each outcome at once."""
            nonlocal active, broken
            job = None
            while True:
                if job is None:
                    job = take(time.time())
                    if job is None:
                        waiter = loop.create_future()
                        free_senders.append(waiter)
                        job = await waiter
                        if job is None:
                            return   # the pass is over
                kind, item = job
                job = None
                token, generation = self._access_token(), self._token_generation
                result: Any = None
                exc: BaseException | None = None
                try:
                    result = await (poster.post(item.body, token) if kind == "post"
                                    else poster.exists(item[0], token))
                except Exception as error:
                    exc = error
                finally:
                    active -= 1
                now = time.time()
                try:
                    note_outcome(kind, item, generation, token, result, exc, now)
                    job = take(now)
                    if free_senders:
                        refill(now)
                except BaseException as error:  # a bug: the loop below raises it
                    broken = broken or error
                # the loop below is woken only when it has something to do (a failure, a flush or a claim due, a
                # slot left empty), not once per order: an idle wake-up costs more CPU than the order's own
                # bookkeeping. Its 0.1 s timer and the claims' own wake-ups cover the rest.
                if (broken is not None or exc is not None or active < window.limit or len(outcomes) >= 256
                        or (claiming is None and len(queue) < claim_size // 2)):
                    wakeup.set()

        def note_outcome(kind: str, job: Any, generation: int, token: str, result: Any,
                         exc: BaseException | None, now: float) -> None:
            nonlocal next_claim_at, retry_since_claim, paused_until, fatal, refresh_task
            if kind == "post":
                outcome, pause = self._post_outcome(job, result, exc, now, report, state, window)
            else:
                outcome, pause = self._settle_outcome(job, result, exc, now, report, state, window)
            if outcome is not None:
                outcomes.append(outcome)
                if outcome.kind == "pending":
                    next_claim_at = min(next_claim_at, outcome.next_attempt_at)
                    retry_since_claim = min(retry_since_claim, outcome.next_attempt_at)
            paused_until = max(paused_until, pause)
            if isinstance(exc, NotAuthorised) and generation >= self._token_generation:
                if refreshed:
                    fatal = exc  # the refreshed token is refused too
                elif refresh_task is None:
                    refresh_task = start(asyncio.to_thread(self._refresh, token))
            # (a 403 sent with an older token is simply retried with the new one)

        def flush() -> None:
            nonlocal last_flush
            writing.append(loop.run_in_executor(ledger_io, ledger.record_outcomes, outcomes.copy()))
            outcomes.clear()
            last_flush = time.monotonic()

        def check_written() -> None:
            while writing and writing[0].done():
                writing.popleft().result()   # a ledger error ends the pass

        async def written() -> None:
            if outcomes:
                flush()
            while writing:
                await writing.popleft()

        def claim_window(size: int, at: float) -> tuple[list[Claim], float | None]:
            claims = ledger.claim(size, at)
            return claims, (ledger.next_due() if len(claims) < size else None)

        def recorded() -> None:
            """The source side committed a batch of new orders: claim now."""
            nonlocal next_claim_at, recorded_since_claim
            next_claim_at = 0.0
            recorded_since_claim = True
            wakeup.set()

        def source_finished() -> None:
            nonlocal reading
            reading = False
            wakeup.set()

        async def end_senders() -> None:
            """Idle senders return; busy ones (only when an error ends the pass) are cancelled: their orders stay
            in_flight in the ledger and are settled with a GET next time."""
            while free_senders:
                free_senders.pop().set_result(None)
            for task in senders:
                task.cancel()
            await asyncio.gather(*senders, return_exceptions=True)

        async def news(timeout: float) -> None:
            try:
                await asyncio.wait_for(wakeup.wait(), timeout)
            except asyncio.TimeoutError:
                pass

        async def nap(until: float) -> None:
            """Idle until `until` (time.time()), a stop, or news from the source side."""
            while not stop_event.is_set() and not wakeup.is_set():
                left = until - time.time()
                if left <= 0:
                    return
                await news(min(left, 0.1))

        self._emit("reading", report, force=True, state=state, window=window)
        try:
            source.start(recorded=lambda: loop.call_soon_threadsafe(recorded),
                         finished=lambda: loop.call_soon_threadsafe(source_finished))
            async with self.poster_factory(self.settings.rulrr.api_url, max_connections=window.maximum,
                                           timeout=opts.request_timeout_s) as poster:
                senders.extend(loop.create_task(sender()) for _ in range(window.maximum))
                try:
                    # a profile that is not connected (or whose token cannot be renewed) ends the pass here, even
                    # with nothing to send: CONTRACT.md's exit 6, "Reconnect to Rulrr"
                    self._access_token()
                    while True:
                        if broken is not None:
                            raise broken
                        if source.failure is not None and fatal is None:
                            if not isinstance(source.failure, AppError):
                                raise source.failure      # a bug on the source side ends the pass
                            fatal = source.failure        # not authorised: nothing more can be sent
                        check_written()
                        now = time.time()
                        if (fatal is None and state.failures >= opts.unreachable_failures
                                and time.monotonic() - state.last_success >= opts.unreachable_after_s):
                            silent_s = int(time.monotonic() - state.last_success)
                            fatal = NetworkError(f"no answer from Rulrr for {silent_s} s ({state.failures} tries "
                                                 f"failed; last: {state.last_error})")
                        stopping = stop_event.is_set() or fatal is not None
                        if stopping:
                            source.halt.set()
                        # the next window is claimed (fsynced in_flight) while the current one is still being sent
                        if (not stopping and claiming is None and len(queue) < claim_size // 2
                                and now >= next_claim_at):
                            if outcomes:
                                flush()  # written before the claim runs: orders waiting for a retry can be claimed
                            retry_since_claim = float("inf")
                            recorded_since_claim = False
                            claiming = start(loop.run_in_executor(ledger_io, claim_window, claim_size, now))
                        refill(now)
                        if outcomes and (len(outcomes) >= 256 or time.monotonic() - last_flush >= opts.flush_every_s):
                            flush()
                        if not active and refresh_task is None and claiming is None and not completed:
                            wakeup.clear()   # before anything below awaits: news from here on ends the nap
                            if stopping:
                                if not reading:
                                    break
                                await news(0.1)   # the source side ends its step
                                continue
                            wake = min([t for t in (next_claim_at, state.settle[0][0] if state.settle else None,
                                                    paused_until if paused_until > now else None)
                                        if t is not None] or [float("inf")])
                            if queue:
                                wake = min(wake, paused_until)
                            await written()
                            if wake == float("inf") and not reading:
                                due = ledger.next_due()
                                if due is None:
                                    break  # nothing left to do in this pass
                                next_claim_at = wake = due
                            idle = "waiting" if not reading else "sending" if state.sending else source.phase
                            self._emit(idle, report, state=state, window=window)
                            await nap(wake)   # while reading: until the next batch is recorded
                            continue
                        # until the first request leaves, the source side's step is the news
                        self._emit("sending" if active or state.sending else source.phase, report, state=state,
                                   window=window)
                        if not completed:
                            wakeup.clear()
                            timer = loop.call_later(0.1, wakeup.set)
                            await wakeup.wait()
                            timer.cancel()
                        while completed:
                            task = completed.popleft()
                            if task is claiming:
                                claiming = None
                                claims, due = task.result()
                                queue.extend(claims)
                                full = len(claims) == claim_size
                                if starved:
                                    claim_size = min(2 * claim_size, max(opts.claim_max, claim_size))
                                starved, more_due = False, full
                                if due is not None or not claims:
                                    # retries decided while the claim ran were not in the ledger for it to see
                                    next_claim_at = min(due if due is not None else float("inf"), retry_since_claim)
                                if recorded_since_claim:
                                    next_claim_at = 0.0
                            elif task is refresh_task:
                                refresh_task = None
                                try:
                                    task.result()
                                    refreshed = True
                                except AppError as exc:
                                    fatal = exc
                    await written()
                    if queue:
                        ledger.release([c.order_id for c in queue])
                finally:
                    await end_senders()
        finally:
            source.halt.set()
            source.join()
            ledger_io.shutdown(wait=True)
        if fatal is not None:
            raise fatal

    def _post_outcome(self, claim: Claim, result, exc, now, report, state, window) -> tuple[Outcome | None, float]:
        opts = self.options
        if exc is None:
            report.delivered += 1
            report.duplicates_reported += int(result.duplicate)
            if result.duplicate:
                log.warning("Rulrr reported order %s as a duplicate", claim.order_id)
            state.success()
            window.on_success()
            return Outcome(claim.order_id, "delivered"), 0.0
        error = _describe(exc)
        if isinstance(exc, ValidationFailed):
            report.rejected += 1
            state.rejected += 1
            state.success()
            return Outcome(claim.order_id, "quarantined", error=exc.detail or error), 0.0
        if isinstance(exc, NotAuthorised):  # a 403 stored nothing
            return Outcome(claim.order_id, "pending", error=error, next_attempt_at=0.0), 0.0
        if isinstance(exc, RateLimited) or (isinstance(exc, ServerError) and exc.status == 503):
            # "Slow down": this order waits Retry-After, the window shrinks; when refusals keep coming (or the
            # window is down to one) everybody waits Retry-After.
            window.on_overload()
            state.overloads += 1
            delay = exc.retry_after if exc.retry_after is not None else backoff_delay(
                claim.attempts, base_s=opts.backoff_base_s, cap_s=opts.backoff_cap_s)
            state.failure(error, counts_as_unreachable=isinstance(exc, ServerError))
            pause = now + delay if (state.overloads >= 3 or window.limit == 1) else 0.0
            return Outcome(claim.order_id, "pending", error=error, next_attempt_at=now + delay), pause
        delay = backoff_delay(claim.attempts, base_s=opts.backoff_base_s, cap_s=opts.backoff_cap_s)
        state.failure(error)
        # a run of failures: everybody waits a little (a circuit breaker), not just this order
        pause = now + backoff_delay(state.failures - 2, base_s=opts.backoff_base_s / 2,
                                    cap_s=opts.backoff_cap_s / 4) if state.failures >= 3 else 0.0
        if isinstance(exc, NetworkError) and not isinstance(exc, OutcomeUnknown):
            window.on_overload()
            return Outcome(claim.order_id, "pending", error=error, next_attempt_at=now + delay), pause
        # OutcomeUnknown, 500/502/504, anything unexpected: it may have been stored. Ask before resending.
        settle_at = now + max(opts.settle_delay_s, delay)
        heapq.heappush(state.settle, (settle_at, claim.order_id, claim.attempts))
        return Outcome(claim.order_id, "unknown", error=error, next_attempt_at=settle_at), pause

    def _settle_outcome(self, job, found, exc, now, report, state, window) -> tuple[Outcome | None, float]:
        order_id, attempts = job
        if exc is None:
            state.success()
            if found:
                report.delivered += 1
                report.settled_found += 1
                return Outcome(order_id, "delivered"), 0.0
            report.settled_missing += 1
            return Outcome(order_id, "pending", next_attempt_at=now), 0.0
        error = _describe(exc)
        pause = 0.0
        delay = backoff_delay(attempts + state.settle_tries.get(order_id, 0), base_s=self.options.backoff_base_s,
                              cap_s=self.options.backoff_cap_s)
        if isinstance(exc, NotAuthorised):
            delay = 0.0
        elif isinstance(exc, (RateLimited, ServerError)) and exc.retry_after is not None:
            delay = exc.retry_after
            window.on_overload()
            state.overloads += 1
            pause = now + delay if (state.overloads >= 3 or window.limit == 1) else 0.0
        state.settle_tries[order_id] = state.settle_tries.get(order_id, 0) + 1
        if not isinstance(exc, NotAuthorised):
            state.failure(error)
        heapq.heappush(state.settle, (now + delay, order_id, attempts))
        return None, pause

    # --- progress -----------------------------------------------------------------------------------------
    def _emit(self, phase: str, report: SyncReport, *, force: bool = False, state: "_PassState | None" = None,
              window: AimdWindow | None = None) -> None:
        now = time.monotonic()
        if (not force and phase == getattr(self, "_last_phase", "")   # a new phase is shown at once
                and now - getattr(self, "_last_emit", 0.0) < self.options.progress_every_s):
            return
        self._last_emit, self._last_phase = now, phase
        if state is not None:
            c = state.counts
            delivered = c.delivered + report.delivered
            pending = max(0, c.unsent + report.read - report.delivered - state.rejected)
            quarantined = c.quarantined + state.rejected
            rate = state.rate(report.delivered, now)
        else:
            c = self.ledger.counts()
            delivered, pending, quarantined, rate = c.delivered, c.unsent, c.quarantined, 0.0
        eta = pending / rate if rate > 0 and pending else (0.0 if not pending else None)
        try:
            self.progress(SyncProgress(phase, delivered, pending, quarantined, report.delivered,
                                       report.delivered + pending, rate, eta,
                                       window.limit if window else 0, report.read))
        except Exception:  # a broken progress display must not stop deliveries
            log.exception("progress callback failed")


@dataclass
class _PassState:
    counts: Counts
    started: float
    settle: list = field(default_factory=list)            # heap of (due, order_id, attempts)
    settle_tries: dict = field(default_factory=dict)
    failures: int = 0
    overloads: int = 0                                    # 429/503 in a row
    last_success: float = field(default_factory=time.monotonic)
    last_error: str = ""
    rejected: int = 0
    sending: bool = False                                 # a POST has left during this pass
    _marks: deque = field(default_factory=deque)          # (t, delivered) samples for the rate

    def success(self) -> None:
        self.failures = 0
        self.overloads = 0
        self.last_success = time.monotonic()

    def failure(self, error: str, counts_as_unreachable: bool = True) -> None:
        self.last_error = error
        if counts_as_unreachable:
            self.failures += 1

    def rate(self, delivered: int, now: float) -> float:
        self._marks.append((now, delivered))
        while len(self._marks) > 2 and now - self._marks[0][0] > 5.0:
            self._marks.popleft()
        t0, d0 = self._marks[0]
        if now - t0 < 0.5:
            return delivered / max(1e-6, now - self.started) if now - self.started > 0.5 else 0.0
        return (delivered - d0) / (now - t0)


class _SourceSide:
    """The source side of a pass, in a thread of its own: it records the export into the ledger batch by batch
    (each batch with its cursor in one transaction), then sends the store profile and the customer list, while
    the event loop already delivers what was recorded. The loop hears of each recorded batch and of the end
    through `recorded` / `finished` (thread-safe callbacks); `halt` asks it to stop after the current step;
    `failure` is what must end the whole pass (NotAuthorised, or a bug)."""

    def __init__(self, engine: SyncEngine, stop_event: threading.Event, report: SyncReport) -> None:
        self.engine, self.stop_event, self.report = engine, stop_event, report
        self.phase = "reading"                 # then "profile", "customers" (for the progress display)
        self.halt = threading.Event()
        self.failure: BaseException | None = None
        self._recorded: Callable[[], None] = lambda: None
        self._finished: Callable[[], None] = lambda: None
        self._thread: threading.Thread | None = None

    def start(self, *, recorded: Callable[[], None], finished: Callable[[], None]) -> None:
        self._recorded, self._finished = recorded, finished
        self._thread = threading.Thread(target=self._run, name="sync-source", daemon=True)
        self._thread.start()

    def stopping(self) -> bool:
        return self.stop_event.is_set() or self.halt.is_set()

    def recorded(self) -> None:
        self._recorded()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        try:
            self.engine._prepare(self.stopping, self.report, self)
        except BaseException as exc:  # handed to the loop, which ends the pass with it
            if not isinstance(exc, AppError):
                log.exception("the source side of the sync failed")
            self.failure = exc
        finally:
            self._finished()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, AppError):
        return redact(f"{type(exc).__name__}: {exc.detail or exc.title}")
    return redact(f"{type(exc).__name__}: {exc}")[:300]


def _hash(data: Any) -> str:
    return hashlib.blake2b(json.dumps(data, sort_keys=True).encode(), digest_size=16).hexdigest()


def _customer_from_row(row: list[str]):
    from rulrr_desktop.core.model import Customer
    created = None
    if len(row) > 5 and row[5]:
        try:
            created = datetime.fromisoformat(row[5].replace("Z", "+00:00"))
        except ValueError:
            created = None
    return Customer(*row[:5], created_at=created)


def _default_client_factory(settings: Settings) -> Callable[[str], Any]:
    """One RulrrClient (one keep-alive pool) for the whole engine, given the current access token per call."""
    clients: list = []

    def make(access_token: str):
        if not clients:
            from rulrr_desktop.core.api import RulrrClient
            from rulrr_desktop.core.credentials import resolve_credentials
            partner = resolve_credentials(settings)
            clients.append(RulrrClient.for_partner(partner))
        clients[0].access_token = access_token
        return clients[0]
    return make


def build_engine(paths: AppPaths, settings: Settings | None = None, *,
                 progress: Callable[[SyncProgress], None] | None = None,
                 options: EngineOptions | None = None) -> SyncEngine:
    """The engine of a connected profile, wired to the real parts: settings, partner credentials, the token
    manager (keyring), the API client and the mapping pipeline. Used by `sync`, `demo` and the desktop app."""
    from rulrr_desktop.core.api import RulrrClient
    from rulrr_desktop.core.config import load_settings
    from rulrr_desktop.core.credentials import resolve_credentials
    from rulrr_desktop.core.tokens import TokenManager
    settings = settings or load_settings(paths)
    partner = resolve_credentials(settings)
    auth_client = _Lazy(lambda: RulrrClient.for_partner(partner))
    tokens = TokenManager(paths, auth_client)
    return SyncEngine(settings, paths, tokens=tokens, progress=progress, options=options,
                      poster_factory=lambda api_url, **kw: OrderPoster(api_url, proxy=partner.proxy, **kw))


class _Lazy:
    """Creates the wrapped object on first use: the token manager's client is only needed for a refresh, and
    an httpx client costs a TLS context (~0.1-0.5 s) that a short `sync --once` should not pay for nothing."""

    def __init__(self, make: Callable[[], Any]) -> None:
        object.__setattr__(self, "_make", make)
        object.__setattr__(self, "_obj", None)

    def _get(self) -> Any:
        if self._obj is None:
            object.__setattr__(self, "_obj", self._make())
        return self._obj

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)


def _default_pipeline_factory(settings: Settings):
    from rulrr_desktop.core.pipeline import Pipeline
    return Pipeline(settings)
