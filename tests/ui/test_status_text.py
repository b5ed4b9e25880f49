"""The words and icons of every sync state (pure: no display needed)."""

from datetime import date, datetime, timedelta, timezone

import pytest

from rulrr_desktop.core.config import RESOURCES
from rulrr_desktop.core.status_text import (ErrorInfo, NotificationPolicy, Progress, SyncState, SyncStatus,
                                            ago, describe, state_of)
from rulrr_desktop.core.api.errors import NotAuthorised

NOW = datetime(2026, 6, 28, 14, 5, tzinfo=timezone.utc)
OK = SyncStatus(connected=True, store_name="Bridge Street Bakery", last_sync=NOW - timedelta(minutes=2),
                delivered_today=38, delivered_total=1204)

CASES = {
    SyncState.NOT_CONNECTED: SyncStatus(),
    SyncState.ERROR: OK.with_changes(error=ErrorInfo.of(NotAuthorised("the access token was revoked"))),
    SyncState.OFFLINE: OK.with_changes(offline=True),
    SyncState.PAUSED: OK.with_changes(paused_until=NOW + timedelta(minutes=10), pause_reason="Rulrr unreachable"),
    SyncState.SYNCING: OK.with_changes(syncing=True, progress=Progress(1200, 20000, 100.0)),
    SyncState.ATTENTION: OK.with_changes(quarantined=3),
    SyncState.UP_TO_DATE: OK,
}


@pytest.mark.parametrize("state", list(SyncState))
def test_every_state_has_an_icon_and_words(state):
    status = CASES[state]
    assert state_of(status) is state
    text = describe(status, NOW)
    assert text.state is state
    assert (RESOURCES / "icons" / text.icon_name).is_file()
    assert text.headline and text.summary and text.headline in text.tooltip


def test_up_to_date_reads_like_the_brief():
    assert describe(OK, NOW).summary == "Last sync 2 min ago · 38 orders today"


def test_back_off_pause_names_the_time_and_reason():
    status = CASES[SyncState.PAUSED]
    until = (NOW + timedelta(minutes=10)).astimezone().strftime("%H:%M")
    assert describe(status, NOW).headline == f"Paused until {until}: Rulrr unreachable"


def test_user_pause_offers_resume():
    text = describe(OK.with_changes(paused_by_user=True), NOW)
    assert text.pause_label == "Resume sending" and text.headline == "Paused: paused by you"


def test_syncing_shows_progress_rate_and_time_left():
    text = describe(CASES[SyncState.SYNCING], NOW)
    assert text.headline == "Sending orders: 1,200 of 20,000"
    assert text.summary == "100 orders/s · about 3 min left"


def test_error_shows_title_and_action():
    text = describe(CASES[SyncState.ERROR], NOW)
    assert text.headline == "Rulrr no longer accepts this connection"
    assert "Reconnect" in text.summary and "revoked" in text.summary


def test_attention_counts_problems_in_the_menu():
    assert describe(CASES[SyncState.ATTENTION], NOW).problems_label == "Show problems (3)"


def test_error_info_of_an_unexpected_exception_is_redacted():
    info = ErrorInfo.of(RuntimeError("boom access_token=abcdef123456"))
    assert "abcdef123456" not in info.detail and info.title


def test_ago():
    assert ago(NOW - timedelta(seconds=10), NOW) == "just now"
    assert ago(NOW - timedelta(minutes=59), NOW) == "59 min ago"
    assert ago(None, NOW) == "never"


def test_notifications_first_error_and_recovery_never_a_storm():
    policy = NotificationPolicy(quiet=timedelta(minutes=30))
    err = CASES[SyncState.ERROR]
    assert policy.update(OK, NOW) is None
    first = policy.update(err, NOW)
    assert first is not None and first[0] == "Rulrr no longer accepts this connection"
    assert policy.update(err, NOW + timedelta(seconds=5)) is None          # still the same error
    assert policy.update(OK, NOW + timedelta(minutes=1))[0] == "Sending again"
    # flapping within the quiet period: neither the error nor the recovery is announced again
    assert policy.update(err, NOW + timedelta(minutes=2)) is None
    assert policy.update(OK, NOW + timedelta(minutes=3)) is None
    assert policy.update(err, NOW + timedelta(hours=1)) is not None        # a new error, later: announced
