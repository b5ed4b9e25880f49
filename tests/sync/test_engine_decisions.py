"""The SyncEngine's decisions, one per test, against a scripted Rulrr (tests/sync/fakes.py): what is sent,
settled, retried, quarantined or stopped on. The same rules run against the real sandbox in tests/reliability."""

from __future__ import annotations

import threading

import pytest

from rulrr_desktop.core.api.errors import (NetworkError, NotAuthorised, OutcomeUnknown, RateLimited, ServerError,
                                           ValidationFailed)
from rulrr_desktop.core.config import Settings
from rulrr_desktop.core.ledger import Ledger
from rulrr_desktop.core.model import Customer
from rulrr_desktop.core.sync import EngineOptions, SyncEngine
from polling import wait_for
from tests.sync.fakes import Bad, FakeClient, FakePipeline, FakeRulrr, FakeTokens, make_order

FAST = EngineOptions(settle_delay_s=0.05, backoff_base_s=0.02, backoff_cap_s=0.2, unreachable_after_s=0.5,
                     unreachable_failures=5)


@pytest.fixture
def rulrr() -> FakeRulrr:
    return FakeRulrr()


@pytest.fixture
def make_engine(app_home, rulrr):
    engines = []

    def make(pipeline: FakePipeline, tokens: FakeTokens | None = None, client: FakeClient | None = None,
             concurrency: int = 4, progress=None, options: EngineOptions = FAST) -> SyncEngine:
        settings = Settings.from_dict({"rulrr": {"api_url": "http://rulrr.invalid"}, "sync": {"concurrency": concurrency}})
        client = client or FakeClient()
        engine = SyncEngine(settings, app_home, tokens=tokens or FakeTokens(), client_factory=lambda token: client,
                            pipeline_factory=pipeline, progress=progress, options=options,
                            poster_factory=rulrr.factory)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def test_every_order_is_delivered_once_and_a_second_pass_sends_nothing(make_engine, rulrr):
    pipeline = FakePipeline([make_order(i) for i in range(250)])
    seen = []
    engine = make_engine(pipeline, progress=seen.append)
    report = engine.run_once()
    assert report.error is None and report.exit_code == 0
    assert (report.read, report.delivered, report.counts.delivered, report.counts.unsent) == (250, 250, 250, 0)
    assert sorted(rulrr.posts) == sorted(o.order_id for o in pipeline.orders) and rulrr.duplicates == 0
    assert seen[-1].phase == "done" and seen[-1].delivered == 250 and seen[-1].pending == 0
    again = engine.run_once()
    assert (again.read, again.delivered) == (0, 0) and len(rulrr.posts) == 250


def test_sending_starts_while_the_export_is_still_being_read(make_engine, rulrr):
    """The first batch is delivered while the source side still reads: it waits (bounded) for a POST before
    handing over the second batch, which a read-everything-first pass could never satisfy."""
    posted_before_second_batch = []

    class Slow(FakePipeline):
        def batches(self, cursor, batch_size=5000):
            for i, batch in enumerate(super().batches(cursor, batch_size)):
                if i == 1:
                    try:
                        wait_for(lambda: rulrr.posts, timeout=10, what="a POST while the export is read")
                        posted_before_second_batch.append(True)
                    except AssertionError:
                        posted_before_second_batch.append(False)
                yield batch

    report = make_engine(Slow([make_order(i) for i in range(300)])).run_once()
    assert posted_before_second_batch == [True]
    assert report.exit_code == 0 and report.counts.delivered == 300 and rulrr.duplicates == 0


def test_not_authorised_on_the_source_side_stops_the_whole_pass(make_engine, rulrr):
    class Revoked(FakeClient):
        def put_store(self, fields):
            raise NotAuthorised("access refused", status=403)

    report = make_engine(FakePipeline([make_order(i) for i in range(200)]), client=Revoked(),
                         tokens=FakeTokens(refreshable=False)).run_once()
    assert isinstance(report.error, NotAuthorised) and report.exit_code == 6
    assert report.counts.in_flight == 0 and report.counts.delivered + report.counts.pending == 200
    assert rulrr.duplicates == 0


def test_claims_grow_when_the_queue_runs_dry_during_one(make_engine, rulrr, app_home):
    """A claim is fsynced: on a busy disk it can outlast the orders still queued. Here the second claim returns
    only once the window has found the queue empty (13 of its 16 orders answered); the next claim is twice as
    large. Nothing is sent twice."""
    orders = [make_order(i) for i in range(200)]
    with Ledger(app_home.ensure().ledger_file) as ledger:
        ledger.record_batch(orders, [], [], {"n": 200}, "fp1")
    sent = [0]
    engine = make_engine(FakePipeline(orders), progress=lambda p: sent.__setitem__(0, p.sent),
                         options=EngineOptions(claim_min=16, progress_every_s=0.0))
    limits = []
    claim = engine.ledger.claim

    def busy_disk_claim(limit, now=None):
        limits.append(limit)
        if len(limits) == 2:
            wait_for(lambda: sent[0] >= 13, timeout=10, what="the window to drain the first claim")
        return claim(limit, now)

    engine.ledger.claim = busy_disk_claim
    report = engine.run_once()
    assert report.exit_code == 0 and report.counts.delivered == 200 and rulrr.duplicates == 0
    assert limits[:3] == [16, 16, 32] and max(limits) <= EngineOptions().claim_max


def test_a_lost_answer_is_settled_with_a_get_before_any_resend(make_engine, rulrr):
    rulrr.script = {"R-00001": ["store-then-lose"], "R-00002": [OutcomeUnknown("no answer in time")]}
    report = make_engine(FakePipeline([make_order(i) for i in range(5)])).run_once()
    assert report.exit_code == 0 and report.counts.delivered == 5
    assert rulrr.posts.count("R-00001") == 1            # it had arrived: found by the GET, never resent
    assert rulrr.posts.count("R-00002") == 2            # it had not: the GET said 404, then it was sent again
    assert set(rulrr.gets) == {"R-00001", "R-00002"} and rulrr.duplicates == 0
    assert (report.settled_found, report.settled_missing) == (1, 1)


def test_orders_left_in_flight_by_a_crash_are_settled_first(make_engine, rulrr, app_home):
    pipeline = FakePipeline([make_order(i) for i in range(6)])
    with Ledger(app_home.ensure().ledger_file) as ledger:   # a previous process read, claimed and died
        ledger.record_batch(pipeline.orders, [], [], {"n": 6}, "fp1")
        ledger.claim(4)
    rulrr.stored["R-00000"] = {"orderId": "R-00000"}        # one of them had reached Rulrr
    report = make_engine(pipeline).run_once()
    assert report.counts.delivered == 6 and rulrr.duplicates == 0
    assert sorted(rulrr.gets) == ["R-00000", "R-00001", "R-00002", "R-00003"]
    assert "R-00000" not in rulrr.posts and sorted(rulrr.posts) == ["R-00001", "R-00002", "R-00003", "R-00004",
                                                                    "R-00005"]


def test_a_refused_order_is_quarantined_with_rulrrs_reason(make_engine, rulrr):
    rulrr.script = {"R-00003": [ValidationFailed(fields={"currency": "is not an ISO 4217 code"})]}
    report = make_engine(FakePipeline([make_order(i) for i in range(5)])).run_once()
    assert report.exit_code == 5 and report.counts.delivered == 4 and report.counts.rejected == 1
    [entry] = make_engine(FakePipeline([])).ledger.quarantine()
    assert entry.order_id == "R-00003" and entry.by_rulrr and "currency: is not an ISO 4217 code" in entry.reason


def test_unmappable_rows_are_reported_and_retried_when_the_mapping_changes(make_engine, rulrr):
    pipeline = FakePipeline([make_order(i) for i in range(3)], quarantined=[Bad("pos.csv:5", "bad date", "R-00009")])
    report = make_engine(pipeline).run_once()
    assert report.exit_code == 5 and report.counts.quarantined_rows == 1
    fixed = FakePipeline([make_order(i) for i in range(3)] + [make_order(9)], mapping_fingerprint="fp2")
    report = make_engine(fixed).run_once()
    assert report.exit_code == 0 and report.counts.delivered == 4 and report.counts.quarantined == 0
    assert sorted(rulrr.posts).count("R-00000") == 1 and "R-00009" in rulrr.posts   # re-read, not re-sent


def test_a_403_gets_one_refresh_and_sending_goes_on(make_engine, rulrr):
    tokens = FakeTokens()
    rulrr.valid_tokens = {"tok-2"}                        # the first token has expired
    report = make_engine(FakePipeline([make_order(i) for i in range(40)]), tokens=tokens).run_once()
    assert report.exit_code == 0 and report.counts.delivered == 40 and tokens.refreshes == 1
    assert len(set(rulrr.stored)) == 40 and rulrr.duplicates == 0


def test_a_refused_refresh_stops_with_reconnect_and_loses_nothing(make_engine, rulrr):
    rulrr.valid_tokens = set()                            # revoked
    tokens = FakeTokens(refreshable=False)
    report = make_engine(FakePipeline([make_order(i) for i in range(30)]), tokens=tokens).run_once()
    assert isinstance(report.error, NotAuthorised) and report.exit_code == 6
    assert report.counts.delivered == 0 and report.counts.pending == 30 and report.counts.in_flight == 0
    rulrr.valid_tokens = {"tok-1"}                        # reconnected
    report = make_engine(FakePipeline([make_order(i) for i in range(30)]), tokens=FakeTokens()).run_once()
    assert report.exit_code == 0 and report.counts.delivered == 30 and len(rulrr.stored) == 30


class DisconnectedTokens(FakeTokens):
    """A profile whose tokens were deleted (`disconnect`): the token manager refuses at once."""

    def access_token(self) -> str:
        raise NotAuthorised("this profile is not connected to a Rulrr store", title="Not connected to Rulrr")


def test_a_disconnected_profile_stops_with_reconnect_even_with_nothing_to_send(make_engine, rulrr):
    orders = [make_order(i) for i in range(5)]
    assert make_engine(FakePipeline(orders)).run_once().exit_code == 0            # all delivered
    report = make_engine(FakePipeline(orders), tokens=DisconnectedTokens()).run_once()
    assert isinstance(report.error, NotAuthorised) and report.exit_code == 6
    assert report.error.title == "Not connected to Rulrr" and len(rulrr.posts) == 5


def test_a_refreshed_token_refused_again_stops(make_engine, rulrr):
    rulrr.valid_tokens = set()
    tokens = FakeTokens()
    report = make_engine(FakePipeline([make_order(i) for i in range(10)]), tokens=tokens).run_once()
    assert isinstance(report.error, NotAuthorised) and tokens.refreshes == 1 and report.counts.unsent == 10


def test_rate_limits_are_honoured_and_failures_do_not_block_the_others(make_engine, rulrr):
    rulrr.script = {"R-00000": [ServerError("boom", status=500)] * 2,
                    "R-00001": [RateLimited("slow down", retry_after=0.1, status=429)],
                    "R-00002": [ServerError("busy", retry_after=0.1, status=503)],
                    "R-00003": [NetworkError("refused")]}
    seen = []
    options = EngineOptions(settle_delay_s=0.05, backoff_base_s=0.02, backoff_cap_s=0.2, progress_every_s=0.0)
    report = make_engine(FakePipeline([make_order(i) for i in range(60)]), progress=seen.append,
                         options=options).run_once()
    assert report.exit_code == 0 and report.counts.delivered == 60 and rulrr.duplicates == 0
    windows = [p.concurrency for p in seen if p.phase in ("sending", "waiting")]
    assert windows[0] == 4 and min(windows) <= 2               # 429/503 halved the window …
    first, again = rulrr.post_times["R-00001"]                   # … and Retry-After 0.1 s was honoured
    assert again - first >= 0.1
    # every other order went out before the failed ones came back
    first_retry = min(i for i, oid in enumerate(rulrr.posts) if rulrr.posts.index(oid) != i)
    assert first_retry >= 60
    assert "R-00000" in rulrr.gets                          # a 500 may have been stored: asked before resending


def test_rulrr_unreachable_ends_the_pass_with_exit_6(make_engine, rulrr):
    rulrr.script = {f"R-{i:05d}": [NetworkError("refused")] * 1000 for i in range(20)}
    report = make_engine(FakePipeline([make_order(i) for i in range(20)])).run_once()
    assert isinstance(report.error, NetworkError) and report.exit_code == 6
    assert report.counts.pending == 20 and report.counts.in_flight == 0


def test_stopping_releases_what_was_claimed_but_not_sent(make_engine, rulrr):
    stop = threading.Event()

    def progress(p):
        if p.sent >= 20:
            stop.set()

    engine = make_engine(FakePipeline([make_order(i) for i in range(500)]), progress=progress, concurrency=2,
                         options=EngineOptions(progress_every_s=0.0))
    report = engine.run_once(stop)
    assert report.stopped and report.counts.in_flight == 0
    assert report.counts.delivered == len(rulrr.stored) < 500
    # reading stops too (after the batch at hand): what was recorded is delivered or pending, the rest is unread
    assert report.counts.delivered + report.counts.pending == report.read <= 500
    report = engine.run_once()                             # the next pass reads on from the cursor
    assert report.counts.delivered == 500 and report.counts.unsent == 0 and rulrr.duplicates == 0


def test_store_profile_and_customers_are_sent_only_when_they_change(make_engine, rulrr):
    client = FakeClient()
    customers = [Customer("c1", "Ada", "Lovelace", "ada@example.com", "+14155550100")]
    pipeline = FakePipeline([make_order(1)], customers=customers)
    report = make_engine(pipeline, client=client).run_once()
    assert report.store_profile_sent and report.customers_uploaded
    assert client.stores[0]["storeName"] == "Bridge Street Bakery" and client.uploads[0][0].email == "ada@example.com"
    report = make_engine(pipeline, client=client).run_once()
    assert not report.store_profile_sent and not report.customers_uploaded and len(client.uploads) == 1
    pipeline.orders.append(make_order(2))
    pipeline.customers = [Customer("c2", "Grace", email="grace@example.com")]
    pipeline.profile = type(pipeline.profile)({**pipeline.profile.fields, "storeCity": "Springfield"})
    report = make_engine(pipeline, client=client).run_once()
    assert report.store_profile_sent and report.customers_uploaded
    assert [c.customer_id for c in client.uploads[-1]] == ["c1", "c2"]   # the whole list, each time


def test_an_incomplete_store_profile_is_reported_and_the_orders_still_go(make_engine, rulrr):
    from rulrr_desktop.core.model import StoreProfile
    client = FakeClient()
    pipeline = FakePipeline([make_order(1)], profile=StoreProfile({"storeName": "X"}))
    report = make_engine(pipeline, client=client).run_once()
    assert report.exit_code == 5 and "storeAddress" in str(report.error) and "Settings" in str(report.error)
    assert client.stores == [] and report.counts.delivered == 1


def test_an_unreadable_export_is_reported_and_what_the_ledger_holds_still_goes(make_engine, rulrr):
    from rulrr_desktop.core.errors import AppError
    make_engine(FakePipeline([make_order(i) for i in range(3)])).ledger.record_batch(
        [make_order(i) for i in range(3)], [], [], {"n": 3}, "fp1")

    class Broken(FakePipeline):
        def batches(self, cursor, batch_size=5000):
            raise AppError("sales.csv cannot be opened", title="The POS export cannot be read")

    report = make_engine(Broken([])).run_once()
    assert report.exit_code == 2 and "cannot be read" in str(report.error)
    assert report.counts.delivered == 3 and len(rulrr.stored) == 3


def test_a_failing_customer_upload_does_not_hold_the_orders_back(make_engine, rulrr):
    from rulrr_desktop.core.api.errors import ServerError as Busy

    class Flaky(FakeClient):
        def upload_customer_list(self, customers):
            raise Busy("Rulrr is busy", status=503)

    client = Flaky()
    pipeline = FakePipeline([make_order(1)], customers=[Customer("c1", "Ada")])
    report = make_engine(pipeline, client=client).run_once()
    assert report.exit_code == 6 and not report.customers_uploaded and report.counts.delivered == 1
    report = make_engine(pipeline).run_once()              # the next pass tries the list again
    assert report.customers_uploaded and report.exit_code == 0


def test_one_sync_at_a_time_per_profile(make_engine, rulrr, app_home):
    from rulrr_desktop.core.sync_lock import SyncLock
    engine = make_engine(FakePipeline([make_order(i) for i in range(5)]))
    with SyncLock(app_home.ledger_file.parent / "sync.lock"):      # e.g. the tray app is sending
        report = engine.run_once()
        assert report.exit_code == 1 and "Another copy" in str(report.error) and rulrr.posts == []
    report = engine.run_once()                                       # released: this pass goes ahead
    assert report.exit_code == 0 and report.counts.delivered == 5
