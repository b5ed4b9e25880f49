"""Python runtime settings that keep the UI thread responsive while the sync thread works hard.

Two CPython behaviours can freeze the window although no UI code is slow:
- the GIL: a thread that wants it waits up to the switch interval (5 ms) per busy thread; with the engine's
  threads busy, the UI thread queued behind them for 30-60 ms. A 1 ms interval keeps that wait short.
- the cyclic garbage collector: a full (generation 2) collection stops every thread while it walks every
  tracked object; during a 20,000-order backfill that took 130-250 ms. Objects alive after start-up are frozen
  (never scanned again), automatic full collections are off, and the sync loop calls `collect_when_idle`
  between passes: a middle-generation collection each time, a full one at most every half hour. Young
  generations still collect automatically, in small steps.
"""

from __future__ import annotations

import gc
import logging
import sys
import time

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001
_tuned = False


def tune_for_ui() -> None:
    """Idempotent: call once the app's modules are imported and its windows built."""
    global _tuned
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    if not _tuned:
        gc.freeze()     # no collection first: a full one would itself stall the window; little is garbage yet
        # young collections stay small and short (they stop every thread too); gen 2 only by collect_when_idle()
        gc.set_threshold(700, 10, 1_000_000_000)
        gc.enable()     # `rulrr-desktop app` disables it while it starts
        _tuned = True


FULL_EVERY_S = 30 * 60
_last_full = time.perf_counter()


def collect_when_idle() -> float:
    """Call between sync passes. Returns how long it took, in seconds."""
    global _last_full
    started = time.perf_counter()
    if started - _last_full >= FULL_EVERY_S:
        _last_full = started
        gc.collect()
    else:
        gc.collect(1)
    took = time.perf_counter() - started
    if took > 0.05:
        log.info("garbage collection took %.0f ms", took * 1000)
    return took
