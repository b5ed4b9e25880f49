"""What the sync engine costs on top of the HTTP library, and how well it uses concurrency against latency.

One run against `rulrr-desktop sandbox` (a subprocess, state in SQLite) measures:
- `orders_per_s`: `rulrr-desktop sync --once` (a subprocess, default concurrency 8) over N orders of a generic-csv
  export, first run (read + map + ledger + deliver), wall time of the whole command; its CPU per delivered order
  (`cpu_ms_per_order`, user + sys of that process, the lowest of its runs) and its peak RSS (`peak_rss_mb`, the
  highest);
- `bare_client_orders_per_s`: the same number of POST /v1/orders from a bare aiohttp loop at the same
  concurrency (no ledger, no mapping), the ceiling of what our own code may cost. It sends the bodies the engine
  would send for an export like ours (mapped beforehand, other order ids), so that the sandbox does the same work
  for both sides. Both are timed the same way, as the wall time of the whole process (start, imports, work,
  exit): a bare client too starts an interpreter and imports aiohttp, which is not our code's cost. The two
  alternate, bare client first, `--repeat` times each (3 by default; each `sync --once` on a fresh profile of its
  own), and each side's best run is its figure: on a noisy 2-core machine the best run is the one least
  disturbed, and alternating keeps the sandbox's growing database from favouring either side. Every run is
  listed in `runs`. `bare_client_loop_orders_per_s` / `vs_bare_client_loop` time only the bare client's sending
  loop (its start-up left out, ours not): the stricter, lopsided comparison;
- with 50 ms injected latency and concurrency 16: the engine's sending rate (`latency_orders_per_s`), the bound
  16 / 0.05 s (`vs_bound`), the bare client under the same latency (`vs_bare_latency`: what this machine allows
  at that moment), and a naive baseline of sequential POSTs on one connection (`naive_orders_per_s`,
  `vs_naive`).
The last stdout line is one JSON object. `--quick` (3,000 orders) finishes in under a minute; the full run uses
20,000. Tokens live in a throw-away JSON keyring (bench/_file_keyring.py) so that no desktop session is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PROFILE_SETTINGS = {"store": {"storeName": "Bench Bakery", "storeAddress": "1 Bench Street", "storeCountryCode": "US",
                              "storeCurrency": "USD", "timezone": "America/New_York"}}
COLUMNS = "orderId,orderDate,orderTotal,currency,type,customerId,firstName,lastName,email,phoneNumber"

BARE_CLIENT = r"""
import asyncio, json, sys, time, aiohttp
url, token, bodies_file, conc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(bodies_file, "rb") as f:
    bodies = f.read().splitlines()
async def main():
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as session:
        it = iter(bodies)
        async def worker():
            for body in it:
                async with session.post(url + "/v1/orders", params={"access_token": token}, data=body,
                                        headers={"Content-Type": "application/json"}) as r:
                    await r.read()
                    assert r.status == 200, r.status
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        print(json.dumps({"seconds": time.perf_counter() - start}))
asyncio.run(main())
"""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def write_export(path: Path, n: int, prefix: str) -> None:
    lines = [COLUMNS]
    for i in range(n):
        c = f"C{i % 500},Avery,Hollis,avery{i % 500}@example.com," if i % 5 == 0 else ",,,,"
        lines.append(f"{prefix}-{i:06d},2026-05-{1 + i % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}:00Z,"
                     f"{(i % 90) + 1}.{i % 100:02d},USD,sale,{c}")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def run_measured(cmd: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float, float, float]:
    """Runs `cmd`; returns (result, wall seconds, CPU seconds, peak RSS MB) of that process alone (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    out: dict[str, str] = {}
    readers = [threading.Thread(target=lambda k=k, s=s: out.__setitem__(k, s.read()))
               for k, s in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    for t in readers:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = subprocess.CompletedProcess(cmd, proc.returncode, out.get("out", ""), out.get("err", ""))
    return result, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")]),
                    "PYTHON_KEYRING_BACKEND": "_file_keyring.FileKeyring",
                    "RULRR_BENCH_KEYRING_FILE": str(work / "keyring.json"),
                    "RULRR_PARTNER_FILE": str(work / "partner.toml"),
                    # an installed app has its bytecode compiled: so do the measured processes
                    "PYTHONPYCACHEPREFIX": os.path.join(tempfile.gettempdir(), "rulrr-desktop-bench-pycache")}
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-c", "import rulrr_desktop.cli.sync_cmd, rulrr_desktop.core.sync, "
                        "rulrr_desktop.core.pipeline, rulrr_desktop.core.tokens, rulrr_desktop.core.credentials, "
                        "rulrr_desktop.sandbox.server"], env=self.env, cwd=ROOT, check=True)
        os.environ.update({k: self.env[k] for k in ("RULRR_BENCH_KEYRING_FILE", "RULRR_PARTNER_FILE")})
        sys.path.insert(0, str(BENCH))
        import keyring
        from _file_keyring import FileKeyring
        keyring.set_keyring(FileKeyring())
        cmd = [sys.executable, "-m", "rulrr_desktop", "sandbox", "--port", "0", "--state", str(work / "sandbox.db")]
        self.sandbox = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                        cwd=ROOT, env=self.env)
        first = self.sandbox.stdout.readline().strip()
        if not first.startswith("Rulrr sandbox at "):
            raise SystemExit(f"the sandbox did not start: {first!r}")
        threading.Thread(target=self.sandbox.stdout.read, daemon=True).start()
        self.url = first.removeprefix("Rulrr sandbox at ")
        (work / "partner.toml").write_text(
            f'[partner]\nclient_id = "demo-pos"\nclient_secret = "demo-secret"\napi_url = "{self.url}"\n'
            f'connect_url = "{self.url}/connect"\n', encoding="utf-8")

    def close(self) -> None:
        self.sandbox.terminate()
        try:
            self.sandbox.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.sandbox.kill()

    def hook(self, method: str, path: str, body=None, **params):
        import httpx
        r = httpx.request(method, f"{self.url}/_sandbox/{path}", json=body, params=params or None, timeout=60)
        r.raise_for_status()
        return r.json() if r.content else None

    def profile(self, name: str, orders: int, concurrency: int):
        """A connected profile `name` whose export holds `orders` orders with ids NAME-000000…"""
        from rulrr_desktop.core.config import AppPaths, Settings, save_settings
        from rulrr_desktop.core.demo_export import connect_on_sandbox
        home = self.work / name
        export = home / "export.csv"
        home.mkdir()
        write_export(export, orders, name.upper())
        paths = AppPaths.resolve(home, "default").ensure()
        settings = Settings.from_dict({
            **PROFILE_SETTINGS,
            "rulrr": {"api_url": self.url, "connect_url": f"{self.url}/connect", "client_id": "demo-pos"},
            "source": {"kind": "csv", "path": str(export), "preset": "generic-csv"},
            "sync": {"concurrency": concurrency}})
        save_settings(paths, settings)
        connect_on_sandbox(paths, settings, self.url)
        return paths

    def token(self) -> str:
        from rulrr_desktop.core.secrets import TokenStore
        return TokenStore("default").load().access_token

    def bare(self, prefix: str, n: int, concurrency: int) -> tuple[float, float]:
        """(orders/s over the whole process, orders/s over its sending loop alone). It sends the very bodies the
        engine would send for an export like ours (same fields, customers, sizes; ids NAME-000000…), mapped
        here beforehand: the sandbox then does the same work for both sides, and only the client differs."""
        bodies = self.work / f"{prefix}.jsonl"
        bodies.write_bytes(b"\n".join(o.encode() for o in self.order_bodies(prefix, n)) + b"\n")
        cmd = [sys.executable, "-c", BARE_CLIENT, self.url, self.token(), str(bodies), str(concurrency)]
        result, wall, cpu, rss = run_measured(cmd, self.env)
        if result.returncode != 0:
            raise SystemExit(f"the bare client failed: {result.stderr[-2000:]}")
        seconds = json.loads(result.stdout.strip().splitlines()[-1])["seconds"]
        return n / wall, n / seconds

    def order_bodies(self, prefix: str, n: int) -> list[str]:
        """The JSON bodies of POST /v1/orders for an export of `n` orders with ids PREFIX-000000…, as the ledger
        records them (mapped with the same preset and store settings as the profiles)."""
        from rulrr_desktop.core.config import Settings
        from rulrr_desktop.core.pipeline import Pipeline
        export = self.work / f"{prefix}.csv"
        write_export(export, n, prefix)
        settings = Settings.from_dict({**PROFILE_SETTINGS, "source": {"kind": "csv", "path": str(export),
                                                                      "preset": "generic-csv"}})
        return [o.canonical_json() for batch in Pipeline(settings).batches(None) for o in batch.orders]

    def sync_once(self, paths, n: int) -> dict:
        env = {**self.env, "RULRR_DESKTOP_HOME": str(paths.config_dir.parent.parent)}
        result, wall, cpu, rss = run_measured([sys.executable, "-m", "rulrr_desktop", "sync", "--once",
                                               "--no-progress"], env)
        if result.returncode != 0 or f"Delivered {n:,} orders" not in result.stdout:
            raise SystemExit(f"sync --once failed ({result.returncode}): {result.stdout}\n{result.stderr[-2000:]}")
        return {"orders_per_s": n / wall, "cpu_ms_per_order": cpu * 1000 / n, "peak_rss_mb": rss, "wall_s": wall}

    def engine_sending_rate(self, paths) -> float:
        """In-process engine: orders per second over the sending phase (first to last delivery)."""
        from rulrr_desktop.core.sync import build_engine
        marks: dict[str, float] = {}

        def progress(p) -> None:
            if p.phase in ("sending", "waiting") and "start" not in marks:
                marks["start"] = time.perf_counter()
        engine = build_engine(paths, progress=progress)
        try:
            report = engine.run_once()
        finally:
            engine.close()
        if report.exit_code != 0:
            raise SystemExit(f"the engine failed: {report.error}")
        return report.delivered / (time.perf_counter() - marks["start"])

    def naive(self, n: int) -> float:
        """Sequential POSTs on one keep-alive connection (httpx.Client), no ledger: the naive way."""
        import httpx
        token = self.token()
        with httpx.Client(timeout=30) as client:
            start = time.perf_counter()
            for i in range(n):
                r = client.post(f"{self.url}/v1/orders", params={"access_token": token},
                                json={"orderId": f"NAIVE-{i}", "orderDate": "2026-05-01T08:00:00.000Z",
                                      "orderTotal": "1250", "currency": "USD", "type": "sale"})
                r.raise_for_status()
            return n / (time.perf_counter() - start)

    def duplicates(self) -> int:
        return self.hook("GET", "orders", store_id="store-1", limit=0)["duplicates"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 orders instead of 20,000 (under a minute)")
    parser.add_argument("--smoke", action="store_true", help="a few hundred orders: checks the bench still works")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (bare client, sync --once)")
    args = parser.parse_args()
    n, n_latency, n_naive = (300, 160, 10) if args.smoke else (3000, 1200, 60) if args.quick else (20000, 4000, 150)
    repeat = max(1, args.repeat)
    work = Path(tempfile.mkdtemp(prefix="rulrr-bench-sync-"))
    bench = Bench(work)
    try:
        ours_paths = [bench.profile(f"ours{i + 1}", n, 8) for i in range(repeat)]
        bare_runs, bare_loops, our_runs = [], [], []
        for i, paths in enumerate(ours_paths, 1):
            log(f"bare client, {n} orders at concurrency 8 ({i}/{repeat})…")
            whole, loop = bench.bare(f"BARE{i}", n, 8)
            bare_runs.append(whole)
            bare_loops.append(loop)
            log(f"rulrr-desktop sync --once over {n} orders ({i}/{repeat})…")
            our_runs.append(bench.sync_once(paths, n))
        ours = max(our_runs, key=lambda r: r["orders_per_s"])
        bare, bare_loop = max(bare_runs), max(bare_loops)

        latency_paths = bench.profile("lat", n_latency, 16)
        bench.hook("POST", "faults", {"latency_ms": 50})
        log(f"with 50 ms latency: the engine at concurrency 16 over {n_latency} orders…")
        latency_rate = bench.engine_sending_rate(latency_paths)
        log(f"with 50 ms latency: the bare client at concurrency 16 over {n_latency} orders…")
        _, bare_latency = bench.bare("BARELAT", n_latency, 16)   # sending loops, both
        log(f"with 50 ms latency: naive sequential POSTs ({n_naive})…")
        naive = bench.naive(n_naive)
        bench.hook("DELETE", "faults")
        bound = 16 / 0.050
        figures = {
            "orders_per_s": round(ours["orders_per_s"], 1),
            "bare_client_orders_per_s": round(bare, 1),
            "vs_bare_client": round(ours["orders_per_s"] / bare, 3),
            "bare_client_loop_orders_per_s": round(bare_loop, 1),
            "vs_bare_client_loop": round(ours["orders_per_s"] / bare_loop, 3),
            "latency_orders_per_s": round(latency_rate, 1),
            "bound_orders_per_s": round(bound, 1),
            "vs_bound": round(latency_rate / bound, 3),
            "bare_latency_orders_per_s": round(bare_latency, 1),
            "vs_bare_latency": round(latency_rate / bare_latency, 3),
            "naive_orders_per_s": round(naive, 2),
            "vs_naive": round(latency_rate / naive, 2),
            "cpu_ms_per_order": round(min(r["cpu_ms_per_order"] for r in our_runs), 3),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in our_runs), 1),
            "orders": n,
            "sync_wall_s": round(ours["wall_s"], 2),
            "duplicates": bench.duplicates(),
            "runs": {"orders_per_s": [round(r["orders_per_s"], 1) for r in our_runs],
                     "bare_client_orders_per_s": [round(b, 1) for b in bare_runs]},
        }
    finally:
        bench.close()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
