"""Measures the packaged build against its baselines, in one run, and prints one JSON line (the last line).

- size: the trimmed bundle (packaging/rulrr-desktop.spec) against a NAIVE build of the same app: plain
  `pyinstaller --onedir` of the same entry with only what makes it the same app (the commands, imported by name,
  and the package data), no excludes, no trimming, no strip. Target: vs_naive <= 0.7.
- start time: the frozen binary against running from source (`python -m rulrr_desktop`), for `--version`
  (interpreter + CLI start) and `presets` (loads the mapping presets): the median of several runs each.

Usage: python packaging/measure.py [--runs N] [--bundle DIR] [--naive DIR] [--work DIR]
(--bundle / --naive reuse builds already made; otherwise both are built here, ~1-3 minutes each.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20, 1)


def build_trimmed(work: Path) -> Path:
    subprocess.run([sys.executable, str(HERE / "build.py"), "--dist", str(work / "dist"), "--work",
                    str(work / "build"), "--no-tarball", "--no-appimage"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return work / "dist" / "rulrr-desktop"


def build_naive(work: Path) -> Path:
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--onedir",
                    "--name", "rulrr-desktop", "--collect-submodules", "rulrr_desktop",
                    "--collect-data", "rulrr_desktop", "--distpath", str(work / "dist"),
                    "--workpath", str(work / "build"), "--specpath", str(work), str(HERE / "entry.py")],
                   cwd=ROOT, check=True)
    return work / "dist" / "rulrr-desktop"


def median_seconds(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    subprocess.run(cmd, capture_output=True, env=env, check=True, cwd=ROOT)  # warm the file cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bundle size vs a naive build; frozen start time vs source")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bundle", type=Path, help="an existing trimmed bundle (dist/rulrr-desktop)")
    parser.add_argument("--naive", type=Path, help="an existing naive bundle")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "measure")
    args = parser.parse_args(argv)

    figures: dict = {}
    started = time.monotonic()
    bundle = args.bundle or build_trimmed(args.work / "trimmed")
    figures["build_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    naive = args.naive or build_naive(args.work / "naive")
    figures["naive_build_s"] = round(time.monotonic() - started, 1)
    figures["bundle_mb"] = folder_mb(bundle)
    figures["naive_bundle_mb"] = folder_mb(naive)
    figures["vs_naive"] = round(figures["bundle_mb"] / figures["naive_bundle_mb"], 3)
    figures["bundle_files"] = sum(1 for p in bundle.rglob("*") if p.is_file())
    figures["naive_bundle_files"] = sum(1 for p in naive.rglob("*") if p.is_file())

    home = args.work / "home"
    env = {**os.environ, "RULRR_DESKTOP_HOME": str(home)}
    frozen = str(bundle / ("rulrr-desktop.exe" if sys.platform == "win32" else "rulrr-desktop"))
    source = [sys.executable, "-m", "rulrr_desktop"]
    for command in ("--version", "presets"):
        key = command.strip("-")
        figures[f"frozen_{key}_s"] = median_seconds([frozen, command], args.runs, env)
        figures[f"source_{key}_s"] = median_seconds([*source, command], args.runs, env)
        figures[f"frozen_vs_source_{key}"] = round(figures[f"frozen_{key}_s"] / figures[f"source_{key}_s"], 2)
    figures["runs"] = args.runs
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
