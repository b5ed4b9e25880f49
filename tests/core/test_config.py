"""Paths per profile, settings round-trip, and the partner file filling in the Rulrr URLs."""

import pytest

from rulrr_desktop.core.config import AppPaths, ConfigError, Settings, load_settings, save_settings


def test_home_override_keeps_profiles_apart(tmp_path):
    a = AppPaths.resolve(tmp_path, "default")
    b = AppPaths.resolve(tmp_path, "harbour-cafe")
    assert a.config_file != b.config_file and a.ledger_file != b.ledger_file
    assert str(a.config_file).startswith(str(tmp_path))


def test_bad_profile_name_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="profile"):
        AppPaths.resolve(tmp_path, "../etc")


def test_settings_round_trip(app_home):
    settings = Settings.from_dict({"source": {"kind": "csv", "path": "/x.csv", "preset": "square-item-sales"},
                                   "store": {"storeName": "Bridge Street Bakery", "timezone": "America/New_York"},
                                   "sync": {"interval_seconds": 30, "concurrency": 4}})
    save_settings(app_home, settings)
    loaded = load_settings(app_home)
    assert loaded.source.preset == "square-item-sales"
    assert loaded.timezone == "America/New_York"
    assert loaded.sync.concurrency == 4
    assert loaded.rulrr.client_id == "demo-pos"  # from the shipped partner file


def test_unknown_setting_is_a_plain_error(app_home):
    app_home.ensure()
    app_home.config_file.write_text("[sync]\nspeed = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(app_home)
    assert info.value.action


def test_broken_toml_names_the_file(app_home):
    app_home.ensure()
    app_home.config_file.write_text("[sync\n")
    with pytest.raises(ConfigError, match="config.toml"):
        load_settings(app_home)
