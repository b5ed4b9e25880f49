"""`rulrr-desktop sync [--once]`: send the store profile, the customer list and every new order to Rulrr.

Exit codes (CONTRACT.md): 0 all delivered, 5 some rows quarantined as invalid, 6 Rulrr unreachable or not
authorised (nothing lost: the next run resumes). Continuous mode passes every `sync.interval_seconds` until
SIGINT/SIGTERM, then lets the requests in flight finish and exits 0. The progress bar goes to stderr, only on a
terminal or with --progress.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
import time
from typing import TextIO

HELP = "send the store profile, customers and every new order to Rulrr"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="one pass, then exit (0 all sent, 5 quarantined rows, "
                                                            "6 Rulrr unreachable or not authorised)")
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_true", help="draw the progress bar even when not on a terminal")
    bar.add_argument("--no-progress", action="store_true", help="never draw the progress bar")


class ProgressBar:
    """A one-line terminal progress bar for SyncProgress snapshots (redrawn in place on stderr)."""

    WIDTH = 28

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._drawn = False

    def __call__(self, p) -> None:
        total = max(p.total, p.sent)
        if p.phase == "done":
            if self._drawn:
                self._draw(f"[{'#' * self.WIDTH}] {p.sent:,} orders sent" if not p.pending else
                           f"[{'#' * int(self.WIDTH * p.sent / max(1, total))}"
                           f"{'-' * (self.WIDTH - int(self.WIDTH * p.sent / max(1, total)))}] "
                           f"{p.sent:,}/{total:,} orders sent, {p.pending:,} waiting")
            self.finish()
            return
        if p.phase in ("reading", "profile", "customers"):
            words = {"reading": f"reading the POS export… {p.read:,} new orders",
                     "profile": "sending the store profile…", "customers": "uploading the customer list…"}
            line = words[p.phase]
        else:
            done = p.sent / total if total else 1.0
            filled = int(self.WIDTH * done)
            eta = "" if p.eta_s is None else f"  ETA {int(p.eta_s) // 60}:{int(p.eta_s) % 60:02d}"
            line = (f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {p.sent:,}/{total:,} orders"
                    f"  {p.rate:,.0f}/s{eta}" + ("  (waiting to retry)" if p.phase == "waiting" else ""))
        self._draw(line)

    def _draw(self, line: str) -> None:
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def summary(report) -> str:
    """One line for the terminal (and the demo): what this pass did and what is left."""
    c = report.counts
    parts = [f"Delivered {report.delivered:,} order{'s' if report.delivered != 1 else ''}"
             + (f" in {report.duration_s:.1f} s ({report.orders_per_s:,.0f}/s)" if report.delivered else "")]
    if report.store_profile_sent:
        parts.append("store profile sent")
    if report.customers_uploaded:
        parts.append("customer list uploaded")
    parts.append(f"{c.delivered:,} delivered in all, {c.unsent:,} waiting, {c.quarantined:,} quarantined")
    if report.changed:
        parts.append(f"{report.changed:,} already-sent orders changed in the POS (not re-sent)")
    return "; ".join(parts) + "."


def _want_bar(args) -> bool:
    if getattr(args, "no_progress", False):
        return False
    return bool(getattr(args, "progress", False)) or sys.stderr.isatty()


def _install_stop_handlers(stop: threading.Event) -> None:
    def handler(signum, frame):
        if stop.is_set():          # a second Ctrl-C: stop right away (the ledger settles it next time)
            raise KeyboardInterrupt
        stop.set()
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def run(args: argparse.Namespace) -> int:
    from rulrr_desktop.core.api.errors import NotAuthorised
    from rulrr_desktop.core.logs import setup_logging
    from rulrr_desktop.core.sync import build_engine

    setup_logging(args.paths.ensure().log_dir, stderr=False)
    bar = ProgressBar() if _want_bar(args) else None
    stop = threading.Event()
    _install_stop_handlers(stop)
    engine = build_engine(args.paths, progress=bar)
    # What start-up loaded (modules, the engine) lives as long as the process: the collector need not walk it at
    # each full collection, nor once more on the way out (~0.1-0.3 s at the exit of a `sync --once`). As the
    # desktop app does once its window is up (ui.runtime).
    gc.freeze()
    try:
        if args.once:
            report = engine.run_once(stop)
            _print_report(report, bar)
            return report.exit_code

        passes = [0]

        def on_report(report) -> None:
            passes[0] += 1   # quiet passes (nothing new, no trouble) print nothing after the first
            if passes[0] == 1 or report.delivered or report.read or report.error is not None:
                _print_report(report, bar, prefix=time.strftime("%H:%M:%S "))

        report = engine.run_forever(stop, on_report=on_report)
        return 6 if isinstance(report.error, NotAuthorised) else 0
    finally:
        engine.close()


def _print_report(report, bar: ProgressBar | None, prefix: str = "") -> None:
    if bar is not None:
        bar.finish()
    print(prefix + summary(report), flush=True)
    if report.error is not None:
        print(f"rulrr-desktop: {report.error}", file=sys.stderr, flush=True)
    elif report.counts.quarantined:
        print(f"rulrr-desktop: {report.counts.quarantined:,} rows are quarantined as invalid: see "
              "`rulrr-desktop status` for the reasons.", file=sys.stderr, flush=True)
