"""Local POS timestamps → UTC: zone names, abbreviations, offsets, localised formats, DST gaps and folds."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

RELAXED = settings(deadline=None, max_examples=100)  # a shared 2-core machine: no per-example deadline

from rulrr_desktop.core.mapping.times import (DateOrder, DateTimeParser, TimeError, resolve_zone,
                                              sniff_date_order, split_zone, to_utc)
from rulrr_desktop.core.mapping.zones import RAILS_ZONES, WINDOWS_ZONES

UTC = timezone.utc
NY, LONDON = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")


@pytest.mark.parametrize("name", sorted({*RAILS_ZONES, *WINDOWS_ZONES}))
def test_every_rails_and_windows_name_resolves_to_a_real_zone(name):
    assert resolve_zone(name).utcoffset(datetime(2026, 1, 15)) is not None


@pytest.mark.parametrize("text, offset_hours", [
    ("EST", -5), ("EDT", -4), ("PDT", -7), ("PST", -8), ("UTC", 0), ("GMT", 0), ("-0700", -7), ("+05:30", 5.5),
    ("UTC+2", 2), ("-07", -7), ("Z", 0)])
def test_abbreviations_and_offsets_are_fixed_offsets(text, offset_hours):
    zone = resolve_zone(text)
    for month in (1, 7):  # EST is -5 h even in July: an abbreviation names an offset
        assert zone.utcoffset(datetime(2026, month, 1)) == timedelta(hours=offset_hours)


def test_zone_names_are_dst_aware():
    eastern = resolve_zone("Eastern Time (US & Canada)")
    assert eastern.utcoffset(datetime(2026, 1, 1)) == timedelta(hours=-5)
    assert eastern.utcoffset(datetime(2026, 7, 1)) == timedelta(hours=-4)
    assert resolve_zone("eastern time (us & canada)") is eastern
    assert resolve_zone("Europe/London") == LONDON


@pytest.mark.parametrize("text", ["", "Narnia Time", "+25:00", "Mars/Olympus"])
def test_unknown_zones_raise(text):
    with pytest.raises(TimeError):
        resolve_zone(text)


@pytest.mark.parametrize("text, order, tz, expected", [
    ("7/28/26 1:33 PM", "mdy", "America/New_York", "2026-07-28T17:33:00"),
    ("01/10/2026 23:50", "dmy", "Europe/London", "2026-10-01T22:50:00"),
    ("01/10/2026 23:50", "mdy", "America/New_York", "2026-01-11T04:50:00"),
    ("2/3/2026", "mdy", "America/New_York", "2026-02-03T05:00:00"),
    ("2026-07-15 12:56:55", "ymd", "America/Los_Angeles", "2026-07-15T19:56:55"),
    ("16-Dec-2023 02:44 AM EST", "dmy", "Asia/Tokyo", "2023-12-16T07:44:00"),     # own zone wins
    ("2026-05-12 12:54:01 -0700", "ymd", "America/New_York", "2026-05-12T19:54:01"),
    ("2026-07-15T12:56:55Z", "ymd", "America/New_York", "2026-07-15T12:56:55"),
    ("2026-07-15T12:56:55+02:00", "ymd", "America/New_York", "2026-07-15T10:56:55"),
    ("Dec 16, 2023 2:44 PM", "mdy", "UTC", "2023-12-16T14:44:00"),
    ("28.07.2026 13:33", "dmy", "Europe/Berlin", "2026-07-28T11:33:00"),
    ("7/28/26 12:05 AM", "mdy", "UTC", "2026-07-28T00:05:00"),
    ("7/28/26 12:05 PM", "mdy", "UTC", "2026-07-28T12:05:00"),
])
def test_localised_timestamps(text, order, tz, expected):
    parser = DateTimeParser(DateOrder(order), default_zone=resolve_zone(tz))
    assert parser.utc(text) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_an_explicit_date_format_overrides_sniffing():
    parser = DateTimeParser(DateOrder("mdy"), date_format="%d|%m|%Y %H.%M", default_zone=NY)
    assert parser.utc("28|07|2026 13.33") == datetime(2026, 7, 28, 17, 33, tzinfo=UTC)
    with pytest.raises(TimeError, match="does not match"):
        parser.utc("7/28/26 1:33 PM")


@pytest.mark.parametrize("text", ["", "sometime in May", "13/13/2026", "2026-02-30", "7/28/26 25:00",
                                  "7/28/26 13:33 PM"])
def test_unreadable_timestamps_raise(text):
    with pytest.raises(TimeError):
        DateTimeParser(DateOrder("mdy"), default_zone=NY).utc(text)


def test_separate_date_time_zone_columns():
    parser = DateTimeParser(DateOrder("ymd"), default_zone=UTC)
    assert parser.utc_parts("2026-07-15", "12:56:55", "Eastern Time (US & Canada)") == \
        datetime(2026, 7, 15, 16, 56, 55, tzinfo=UTC)
    assert parser.utc_parts("2026-07-15", "12:56:55", "") == datetime(2026, 7, 15, 12, 56, 55, tzinfo=UTC)
    # eight characters that are not ISO "HH:MM:SS" are read as before, or refused as before
    assert parser.utc_parts("2026-07-15", " 1:56:55", "") == datetime(2026, 7, 15, 1, 56, 55, tzinfo=UTC)
    with pytest.raises(TimeError):
        parser.utc_parts("2026-07-15", "24:00:00", "")


def test_split_zone():
    assert split_zone("16-Dec-2023 02:44 AM EST") == ("16-Dec-2023 02:44 AM", "EST")
    assert split_zone("7/28/26 1:33 PM") == ("7/28/26 1:33 PM", "")
    assert split_zone("2026-05-12 12:54:01 -0700") == ("2026-05-12 12:54:01", "-0700")


@pytest.mark.parametrize("samples, country, order, ambiguous", [
    (["7/28/26 1:33 PM", "7/2/26 9:00 AM"], "", "mdy", False),
    (["28/07/2026 13:33", "02/07/2026 09:00"], "US", "dmy", False),
    (["01/02/2026", "03/04/2026"], "US", "mdy", True),
    (["01/02/2026", "03/04/2026"], "GB", "dmy", True),
    (["2026-01-02"], "GB", "ymd", False),
    (["16-Dec-2023 02:44 AM EST"], "US", "dmy", False),
])
def test_sniffing_day_first_or_month_first(samples, country, order, ambiguous):
    assert sniff_date_order(samples, country) == DateOrder(order, ambiguous)


# --- DST: examples, then properties ---------------------------------------------------------------------------

@pytest.mark.parametrize("zone, wall, expected", [
    (NY, "2026-03-08 02:30:00", "2026-03-08T07:30:00"),   # spring gap: read as 03:30 EDT (shift forward)
    (NY, "2026-11-01 01:30:00", "2026-11-01T05:30:00"),   # autumn fold: the first 01:30 (EDT)
    (LONDON, "2026-03-29 01:30:00", "2026-03-29T01:30:00"),  # gap: 02:30 BST
    (LONDON, "2026-10-25 01:30:00", "2026-10-25T00:30:00"),  # fold: the first 01:30 (BST)
])
def test_dst_gaps_shift_forward_and_folds_take_the_first(zone, wall, expected):
    parser = DateTimeParser(DateOrder("ymd"), default_zone=zone)
    assert parser.utc(wall) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


ZONES = st.sampled_from([NY, LONDON, ZoneInfo("Australia/Sydney"), ZoneInfo("Asia/Kolkata")])
INSTANTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31),
                        timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0))


@RELAXED
@given(instant=INSTANTS, zone=ZONES)
def test_utc_round_trips_through_local_wall_time(instant, zone):
    local = instant.astimezone(zone)
    parser = DateTimeParser(DateOrder("ymd"), default_zone=zone)
    parsed = parser.utc(local.strftime("%Y-%m-%d %H:%M:%S"))
    if local.fold == 0:
        assert parsed == instant
    else:  # the second occurrence of a folded wall time is read as the first one, an offset-change earlier
        assert parsed == local.replace(fold=0).astimezone(UTC) and parsed < instant


@RELAXED
@given(instant=INSTANTS, zone=ZONES, fmt=st.sampled_from([
    ("mdy", "%m/%d/%Y %I:%M:%S %p"), ("dmy", "%d/%m/%Y %H:%M:%S"), ("mdy", "%m/%d/%y %H:%M:%S"),
    ("dmy", "%d-%b-%Y %I:%M:%S %p"), ("ymd", "%Y-%m-%dT%H:%M:%S")]))
def test_localised_formats_round_trip(instant, zone, fmt):
    order, pattern = fmt
    local = instant.astimezone(zone)
    parser = DateTimeParser(DateOrder(order), default_zone=zone)
    assert parser.local(local.strftime(pattern))[0] == local.replace(tzinfo=None, fold=0)


@RELAXED
@given(wall=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)), zone=ZONES)
def test_every_wall_time_maps_to_an_instant_and_gaps_shift_forward(wall, zone):
    result = to_utc(wall, zone)
    back = result.astimezone(zone).replace(tzinfo=None)
    exists = any(wall.replace(tzinfo=zone, fold=f).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall
                 for f in (0, 1))
    if exists:
        assert back == wall
    else:  # a wall time in the spring gap: moved forward by the gap (1 hour in these zones)
        assert back - wall == timedelta(hours=1)


@RELAXED
@given(dates=st.lists(st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2037, 1, 1).date()),
                      min_size=1, max_size=30))
def test_sniffing_never_contradicts_the_data(dates):
    day_first = [d.strftime("%d/%m/%Y") for d in dates]
    guess = sniff_date_order(day_first, "US")
    if any(d.day > 12 for d in dates if d.day != d.month):
        assert guess.order == "dmy" and not guess.ambiguous
    parser = DateTimeParser(guess)
    if guess.order == "dmy":
        assert [parser.parse_date(t) for t in day_first] == dates


@RELAXED
@given(wall=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
       zone=st.sampled_from(["America/New_York", "Europe/London", "Eastern Time (US & Canada)", "EST", "",
                             "Australia/Lord_Howe", "America/Santiago", "America/Havana"]),
       time_format=st.sampled_from(["%H:%M:%S.%f", "%H:%M:%S"]))
def test_the_date_time_zone_fast_path_agrees_with_the_exact_rule(wall, zone, time_format):
    parser = DateTimeParser(DateOrder("ymd"), default_zone=LONDON)
    if time_format == "%H:%M:%S":       # Square's own format: read in C on a day without a DST change
        wall = wall.replace(microsecond=0)
    expected = to_utc(wall, resolve_zone(zone) if zone else LONDON)
    got = parser.utc_parts(wall.strftime("%Y-%m-%d"), wall.strftime(time_format), zone)
    assert got == expected and got.tzinfo is UTC and got.utcoffset() == expected.utcoffset()
    assert parser.utc_parts(wall.strftime("%Y-%m-%d"), wall.strftime(time_format), zone) == expected  # cached
