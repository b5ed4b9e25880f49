"""How long the desktop app takes to start, against a bare PySide6 window started the same way.

`startup_s`: seconds from launching `python -m rulrr_desktop app` (a subprocess, offscreen, a connected profile
with a configured source, so the main window opens rather than the wizard) to the moment its tray icon and main
window are shown (the app prints `ready` from its event loop when RULRR_STARTUP_MARK is set).
`bare_startup_s`: the same for a bare PySide6 program that creates a QApplication, a tray icon and a
QMainWindow, shows them and prints `ready`, launched the same way. `vs_bare` = startup_s / bare_startup_s
(target: at most 1.5). Both run with compiled bytecode, as an installed app does (pip and PyInstaller compile
it; the dev tree's PYTHONDONTWRITEBYTECODE would otherwise charge the app, and not the bare program, ~25 ms of
compiling its own sources at every start): a private PYTHONPYCACHEPREFIX, filled by the warm-up runs, as in
bench/sync.py. Medians of alternating runs; `webengine_loaded` says whether QtWebEngine was imported
by the time the window showed (it must not be: the web engine loads only for the Connect page).
`cpu_vs_bare`: the same ratio of CPU time (all threads, from launch to the `ready` line; Linux /proc): a second
view, which waiting for a busy machine's cores does not blur.
The last stdout line is one JSON object. `--quick` does 3 runs of each (well under a minute).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSystemTrayIcon
app = QApplication(sys.argv[:1])
app.setQuitOnLastWindowClosed(False)
tray = QSystemTrayIcon(QIcon(sys.argv[1]))
tray.show()
window = QMainWindow()
window.setCentralWidget(QLabel("hello"))
window.resize(780, 700)
window.show()
QTimer.singleShot(0, lambda: (print(f"ready {time.time():.6f} webengine=" + str("PySide6.QtWebEngineCore" in sys.modules), flush=True), app.quit()))
app.exec()
"""


def prepare_home(root: Path) -> Path:
    """A connected profile (connection record; no tokens needed to show the window) reading an empty CSV."""
    from rulrr_desktop.core import connection as connection_record
    from rulrr_desktop.core.config import AppPaths, Settings, save_settings

    home = root / "home"
    paths = AppPaths.resolve(home, "default").ensure()
    export = root / "orders.csv"
    export.write_text("orderId,orderDate,orderTotal,currency\r\n", encoding="utf-8")
    save_settings(paths, Settings.from_dict({
        "rulrr": {"api_url": "http://127.0.0.1:9", "connect_url": "http://127.0.0.1:9/connect",
                  "client_id": "demo-pos"},
        "source": {"kind": "csv", "path": str(export), "preset": "generic-csv"},
        "store": {"storeName": "Bridge Street Bakery", "storeAddress": "120 Bridge Street",
                  "storeCountryCode": "US", "storeCurrency": "USD"},
        "sync": {"interval_seconds": 3600}}))
    now = datetime.now(timezone.utc)
    connection_record.save(paths, connection_record.Connection(
        profile="default", store_id="store-1", store_name="Bridge Street Bakery", connected_at=now,
        expires_at=now + timedelta(days=365), keyring_backend="bench"))
    return home


def time_until_ready(cmd: list[str], env: dict[str, str]) -> tuple[float, bool, float | None]:
    """Seconds from launch to the `ready` line, whether QtWebEngine was loaded by then, and the CPU seconds the
    process had used when it printed that line."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    try:
        for line in proc.stdout:
            if line.startswith("ready"):
                return time.perf_counter() - started, "webengine=True" in line, cpu_seconds(proc.pid)
        raise RuntimeError(f"{cmd[:4]} exited with {proc.wait()} before it was ready")
    finally:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float | None:
    """CPU time of all of a process's threads so far (Linux /proc/<pid>/task/*/schedstat, in ns), or None."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs of each (under a minute)")
    parser.add_argument("--runs", type=int, default=0, help="runs of each (default 7, --quick 3)")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 7)
    root = Path(tempfile.mkdtemp(prefix="rulrr-bench-startup-"))
    try:
        home = prepare_home(root)
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               "RULRR_STARTUP_MARK": "1", "RULRR_DESKTOP_HOME": str(home),
               # an installed app has its bytecode compiled: so do both measured programs
               "PYTHONPYCACHEPREFIX": os.path.join(tempfile.gettempdir(), "rulrr-desktop-bench-pycache")}
        env.pop("RULRR_PARTNER_FILE", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        icon = str(ROOT / "rulrr_desktop" / "resources" / "icons" / "tray-up-to-date.svg")
        app_cmd = [sys.executable, "-m", "rulrr_desktop", "app"]
        bare_cmd = [sys.executable, "-c", BARE, icon]
        time_until_ready(bare_cmd, env)          # warm the file cache for both, and compile their bytecode
        time_until_ready(app_cmd, env)
        app_times, bare_times, app_cpu, bare_cpu, webengine = [], [], [], [], False
        for _ in range(runs):
            t, _loaded, cpu = time_until_ready(bare_cmd, env)
            bare_times.append(t)
            bare_cpu.append(cpu)
            t, loaded, cpu = time_until_ready(app_cmd, env)
            app_times.append(t)
            app_cpu.append(cpu)
            webengine |= loaded
        startup, bare = statistics.median(app_times), statistics.median(bare_times)
        for name, times, cpu in (("app: ", app_times, app_cpu), ("bare:", bare_times, bare_cpu)):
            print(f"{name} {', '.join(f'{t:.3f}' for t in times)} s; CPU {', '.join(f'{t:.3f}' for t in cpu if t)} s")
        print(json.dumps({"startup_s": round(startup, 3), "bare_startup_s": round(bare, 3),
                          "vs_bare": round(startup / bare, 2),
                          "cpu_vs_bare": (round(statistics.median(app_cpu) / statistics.median(bare_cpu), 2)
                                          if None not in app_cpu + bare_cpu else None),
                          "webengine_loaded": webengine, "runs": runs,
                          "load_average": round(os.getloadavg()[0], 1)}))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
