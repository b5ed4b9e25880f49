"""bench/sync.py keeps working and keeps its figure names (CONTRACT.md), on a few hundred orders."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {"orders_per_s", "bare_client_orders_per_s", "vs_bare_client", "naive_orders_per_s", "vs_bound",
           "vs_naive", "cpu_ms_per_order", "peak_rss_mb"}


def test_the_sync_bench_prints_its_figures_on_the_last_line():
    env = {k: v for k, v in os.environ.items() if k not in ("RULRR_DESKTOP_HOME", "RULRR_PARTNER_FILE")}
    result = subprocess.run([sys.executable, "bench/sync.py", "--smoke"], capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert FIGURES <= set(figures)
    assert figures["orders"] == 300 and figures["duplicates"] == 0
    assert all(figures[k] > 0 for k in FIGURES)
