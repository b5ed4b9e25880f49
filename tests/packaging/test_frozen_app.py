"""The frozen build, as a store PC gets it: unpacked from the tarball and run without any Python around it.

It answers `--version` and `presets`; runs the sandbox, connects through it (the merchant's click done by the
sandbox hook) and delivers a small generic-csv export with `sync --once`; renders the sandbox's Connect page in
the app's own web view offscreen; starts the desktop app and quits it cleanly; installs and uninstalls with
install.sh; and ships what it must (the web engine's process and files, the vendor's partner file and
icon, a desktop entry) but not what it must not (tests, unused Qt modules).
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from rulrr_desktop import __version__
from polling import wait_for

# The first test of this module pays for the session's build (1.5-2 min on an idle 2-core machine, more when
# the cores are shared): allow it more than the suite's default per-test timeout.
pytestmark = pytest.mark.timeout(900)


def test_frozen_binary_answers_version(frozen):
    result = frozen.run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"rulrr-desktop {__version__}"


def test_frozen_binary_lists_the_bundled_presets(frozen, tmp_path):
    result = frozen.run("presets", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    for preset in ("generic-csv", "square-item-sales", "shopify-orders"):
        assert preset in result.stdout


def test_bundle_ships_the_web_engine_and_the_vendor_branding_but_no_test_tools(frozen):
    qt = frozen.internal / "PySide6" / "Qt"
    helper = qt / "libexec" / "QtWebEngineProcess"
    assert helper.is_file() and helper.stat().st_mode & 0o111
    assert (qt / "resources" / "qtwebengine_resources.pak").is_file()
    assert (qt / "resources" / "icudtl.dat").is_file()
    assert (qt / "translations" / "qtwebengine_locales" / "en-US.pak").is_file()
    # trimmed: no QML, no 3D/Multimedia/Charts libraries, no devtools, no test tools
    assert not (qt / "qml").exists()
    libs = {p.name for p in (qt / "lib").iterdir()}
    assert "libQt6WebEngineCore.so.6" in libs
    assert not [n for n in libs if n.startswith(("libQt63D", "libQt6Multimedia", "libQt6Charts", "libQt6Quick3D",
                                                   "libQt6Designer", "libQt6Pdf"))], libs
    assert not (qt / "resources" / "qtwebengine_devtools_resources.pak").exists()
    for tool in ("pytest", "_pytest", "hypothesis", "pytestqt", "tkinter"):
        assert not (frozen.internal / tool).exists(), tool
    # the vendor's partner file and icon, chosen at build time
    resources = frozen.internal / "rulrr_desktop" / "resources"
    partner = (resources / "partner.toml").read_text(encoding="utf-8")
    assert frozen.vendor_name in partner and 'icon = "partner-icon.svg"' in partner
    assert 'data-vendor="acme"' in (resources / "partner-icon.svg").read_text(encoding="utf-8")
    assert (resources / "icons" / "app.svg").is_file()
    # desktop integration
    desktop = (frozen.folder / "share" / "rulrr-desktop.desktop").read_text(encoding="utf-8")
    assert "Exec=rulrr-desktop" in desktop and "Icon=rulrr-desktop" in desktop
    assert 'data-vendor="acme"' in (frozen.folder / "share" / "rulrr-desktop.svg").read_text(encoding="utf-8")
    assert frozen.tarball.name == f"rulrr-desktop-{__version__}-linux-x86_64.tar.gz"
    assert frozen.folder.name == f"rulrr-desktop-{__version__}"


def log_tail(log_dir: Path, chars: int = 3000) -> str:
    """The end of a profile's log, for an assertion message."""
    logs = sorted(log_dir.glob("*.log"))
    return logs[-1].read_text(encoding="utf-8", errors="replace")[-chars:] if logs else "(no log)"


def write_generic_csv(path: Path, n: int) -> list[str]:
    """A small POS export in the generic-csv layout (Rulrr's field names as the header)."""
    t0 = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
    ids = [f"FZ-{i:04d}" for i in range(n)]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["orderId", "orderDate", "orderTotal", "currency", "type", "customerId", "firstName",
                         "lastName", "email", "phoneNumber"])
        for i, order_id in enumerate(ids):
            writer.writerow([order_id, (t0 + timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             f"{10 + i}.{i % 100:02d}", "USD", "sale", f"C{i % 3}", "Rory", f"Tester{i % 3}",
                             f"rory{i % 3}@example.com", ""])
    return ids


@pytest.mark.keyring
def test_frozen_sandbox_connect_and_sync_deliver_every_order(frozen, frozen_sandbox, tmp_path):
    home = tmp_path / "home"
    profile = f"frozen-{uuid.uuid4().hex[:8]}"   # its own keyring entries in the session's Secret Service
    export = tmp_path / "export" / "sales.csv"
    export.parent.mkdir()
    ids = write_generic_csv(export, 12)
    config = home / "profiles" / profile / "config.toml"
    config.parent.mkdir(parents=True)
    # client_id and secret are not in the config: they must come from the partner file shipped in the build.
    config.write_text(
        f'[rulrr]\napi_url = "{frozen_sandbox.url}"\nconnect_url = "{frozen_sandbox.connect_url}"\n\n'
        f'[source]\nkind = "csv"\npath = {json.dumps(str(export))}\npreset = "generic-csv"\n\n'
        '[store]\nstoreName = "Bridge Street Bakery"\nstoreAddress = "120 Bridge Street"\n'
        'storeCountryCode = "US"\nstoreCurrency = "USD"\ntimezone = "America/New_York"\n', encoding="utf-8")

    before = {i["token"] for i in frozen_sandbox.hook("GET", "state")["integrations"]}
    connect = frozen.popen("connect", "--profile", profile, "--poll-interval", "0.3", home=home)
    try:
        def new_pending():
            if connect.poll() is not None:
                raise AssertionError(f"`connect` exited early ({connect.returncode}): {connect.stderr.read()}")
            fresh = [i for i in frozen_sandbox.hook("GET", "state")["integrations"] if i["token"] not in before]
            return fresh[0]["token"] if fresh else None
        token = wait_for(new_pending, 60, "the frozen `connect` to create an integration")
        frozen_sandbox.hook("POST", f"integrations/{token}/finish", store_id="store-1")
        out, err = connect.communicate(timeout=60)
    finally:
        if connect.poll() is None:
            connect.kill()
            connect.communicate()
    assert connect.returncode == 0, err
    assert f"integration_token={token}" in out

    sync = frozen.run("sync", "--profile", profile, "--once", "--no-progress", home=home)
    assert sync.returncode == 0, f"{sync.stdout}\n{sync.stderr}\n{log_tail(home / 'profiles' / profile / 'logs')}"
    held = frozen_sandbox.hook("GET", "orders", store_id="store-1")
    assert sorted(o["orderId"] for o in held["orders"]) == ids
    assert held["duplicates"] == 0
    assert held["orders"][0]["currency"] == "USD"

    again = frozen.run("sync", "--profile", profile, "--once", "--no-progress", home=home)
    assert again.returncode == 0, again.stderr
    assert frozen_sandbox.hook("GET", "orders", store_id="store-1")["posts"] == len(ids)

    forget = frozen.run("disconnect", "--profile", profile, home=home)   # and the keyring is left as found
    assert forget.returncode == 0, forget.stderr
    assert frozen.run("sync", "--profile", profile, "--once", "--no-progress", home=home).returncode != 0


def test_frozen_web_engine_renders_the_connect_page(frozen, frozen_sandbox, tmp_path):
    created = httpx.post(f"{frozen_sandbox.url}/v1/auth/integration",
                         params={"client_id": "demo-pos", "client_secret": "demo-secret"}, timeout=30)
    created.raise_for_status()
    token = created.json()["integrationToken"]
    url = f"{frozen_sandbox.connect_url}?integration_token={token}&client_id=demo-pos"
    png = tmp_path / "connect.png"
    result = frozen.run("selftest-webview", url, "--png", str(png), "--timeout", "90", timeout=150)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["ok"] is True
    assert report["title"].endswith("Rulrr")
    assert report["text_chars"] > 20          # the page's words were laid out by the frozen Chromium
    assert report["png_saved"] and png.stat().st_size > 1000
    assert report["painted_colours"] > 1      # and painted: not a blank view


def test_install_script_puts_the_app_in_the_menu_and_uninstalls_on_request(frozen, tmp_path):
    home = tmp_path / "user"
    home.mkdir()
    env = frozen.env(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"),
                     XDG_CONFIG_HOME=str(home / ".config"))
    installed = subprocess.run(["sh", str(frozen.folder / "install.sh"), "--autostart"], env=env,
                               capture_output=True, text=True, timeout=180)
    assert installed.returncode == 0, installed.stderr
    entry = home / ".local" / "share" / "applications" / "rulrr-desktop.desktop"
    exec_line = next(line for line in entry.read_text(encoding="utf-8").splitlines() if line.startswith("Exec="))
    binary = exec_line.removeprefix("Exec=").strip('"')
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert version.stdout.strip() == f"rulrr-desktop {__version__}"
    assert (home / ".config" / "autostart" / "rulrr-desktop.desktop").is_file()
    assert (home / ".local" / "share" / "icons" / "hicolor" / "scalable" / "apps" / "rulrr-desktop.svg").is_file()

    data = home / ".config" / "rulrr-desktop" / "default" / "config.toml"
    data.parent.mkdir(parents=True)
    data.write_text("[sync]\ninterval_seconds = 60\n", encoding="utf-8")
    kept = subprocess.run(["sh", str(frozen.folder / "install.sh"), "--uninstall"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert kept.returncode == 0 and not entry.exists() and not Path(binary).exists()
    assert data.is_file(), "uninstall without --remove-data keeps the settings"
    removed = subprocess.run(["sh", str(frozen.folder / "install.sh"), "--uninstall", "--remove-data"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert removed.returncode == 0 and not data.exists()


def test_frozen_desktop_app_starts_and_quits_cleanly_on_sigterm(frozen, tmp_path):
    home = tmp_path / "home"
    log = home / "profiles" / "default" / "logs" / "rulrr-desktop.log"
    app = frozen.popen("app", home=home)   # the first run: tray + the set-up wizard, offscreen
    try:
        def started():
            if app.poll() is not None:
                raise AssertionError(f"the frozen app exited ({app.returncode}): {app.stderr.read()[-3000:]}")
            return log.is_file() and "Rulrr Desktop started" in log.read_text(encoding="utf-8")
        wait_for(started, 120, "the frozen desktop app to start")
        app.send_signal(signal.SIGTERM)
        _, err = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err[-3000:]
    assert "Traceback" not in err
