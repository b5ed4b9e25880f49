"""`rulrr-desktop demo [--headless]`: the whole story on the built-in sandbox, in a throw-away home.

The sandbox runs in this process on a free loopback port; a demo POS export (generic-csv) holds a few hundred
past orders and gains a sale every few seconds. `--headless` tells it in the terminal: connect (the demo
merchant completes the Connect page), a first sync with a progress bar, then live sync until Ctrl-C (exit 0).
Without it the desktop app opens on the same set-up (headless if the app cannot start).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

HELP = "the app on the built-in sandbox with a demo POS export that keeps selling"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--headless", action="store_true", help="tell the story in the terminal, without a window")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away demo folder at the end")
    parser.add_argument("--orders", type=int, default=300, help="orders in the demo history (default 300)")
    parser.add_argument("--sale-every", type=float, default=4.0, metavar="SECONDS",
                        help="how often the demo POS sells something (default 4)")
    parser.add_argument("--progress", action="store_true", help="draw the progress bar even when not on a terminal")


def _say(text: str) -> None:
    print(text, flush=True)


def run(args: argparse.Namespace) -> int:
    from rulrr_desktop.core.demo_export import prepare_demo

    home = Path(tempfile.mkdtemp(prefix="rulrr-demo-"))
    env = prepare_demo(home, history=max(0, args.orders), sale_interval_s=max(0.2, args.sale_every))
    try:
        _say(f"Rulrr sandbox at {env.sandbox.url} (Connect page: {env.sandbox.connect_url})")
        _say(f"Demo POS export: {env.export.path} ({env.export.rows_written} past orders)")
        if not args.headless:
            try:
                from rulrr_desktop.ui.app import run_app
            except ImportError as exc:
                _say(f"The desktop app cannot start here ({exc}); telling the story in the terminal instead.")
            else:
                env.export.start()
                return int(run_app(env.paths, demo=True) or 0)
        return _headless(env, args)
    finally:
        env.close()
        if args.keep:
            _say(f"The demo folder is kept: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def _headless(env, args) -> int:
    from rulrr_desktop.cli.sync_cmd import ProgressBar, summary
    from rulrr_desktop.core.demo_export import connect_demo
    from rulrr_desktop.core.logs import setup_logging
    from rulrr_desktop.core.sync import build_engine

    setup_logging(env.paths.log_dir, stderr=False)
    stop = threading.Event()

    def handler(signum, frame):
        stop.set()
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)

    _say("Connecting to Rulrr: the demo merchant signs in on the Connect page, picks the store and confirms…")
    connection = connect_demo(env)
    store = connection.store_name or "the demo store"
    _say(f"Connected to {store}{f' ({connection.store_id})' if connection.store_id else ''}; "
         "the keys are in the system keyring.")
    bar = ProgressBar() if (args.progress or sys.stderr.isatty()) else None
    engine = build_engine(env.paths, progress=bar)
    try:
        _say("First sync: the store profile, the customer list and the order history…")
        report = engine.run_once(stop)
        if bar is not None:
            bar.finish()
        _say(summary(report))
        if report.error is not None:
            _say(f"rulrr-desktop: {report.error}")
        if stop.is_set():
            return 0
        env.export.start()
        _say(f"Live: the demo POS sells something every ~{env.export.interval_s:g} s and each sale is sent "
             "within seconds. Ctrl-C to stop.")
        engine.progress = lambda p: None

        def on_report(report) -> None:
            if report.delivered or report.error is not None:
                _say(time.strftime("%H:%M:%S ") + summary(report)
                     + (f" ({report.error.title})" if report.error is not None else ""))

        engine.run_forever(stop, on_report=on_report)
        counts = engine.ledger.counts()
    finally:
        engine.close()
        env.export.stop()
    _say(f"Stopped: {counts.delivered:,} orders delivered to Rulrr, {counts.unsent:,} waiting for the next run.")
    return 0
