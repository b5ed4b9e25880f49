"""The sandbox's capacity for POST /v1/orders, measured from a load generator in another process.

Starts `rulrr-desktop sandbox` (state in a SQLite file, so one real commit per order), connects store-1 through
the API and the /_sandbox hooks, then drives POST /v1/orders with unique orderIds from wrk (Lua body script;
aiohttp in a subprocess when wrk is missing), and checks that every answer was 2xx and that the sandbox
counted every POST with no duplicates. As a baseline it measures, with the same load, a bare Starlette +
uvicorn app that does nothing but one SQLite commit per order. The last stdout line is one JSON object:
{"orders_per_s": …, "bare_orders_per_s": …, "vs_bare": …, …}. `--quick` takes well under a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PARTNER = {"client_id": "demo-pos", "client_secret": "demo-secret"}

WRK_SCRIPT = r"""
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  prefix = args[1] or "bench"
  counter = 0
  headers = {["Content-Type"] = "application/json"}
end
function request()
  counter = counter + 1
  local body = '{"orderId":"' .. prefix .. '-' .. tid .. '-' .. counter .. '","orderDate":"2026-06-28T14:03:00.000Z",'
    .. '"orderTotal":"2500","currency":"USD","type":"sale","customer":{"customerId":"c-' .. counter .. '",'
    .. '"firstName":"Ann","email":"ann@example.com","phoneNumber":"+14155550123"},'
    .. '"items":[{"name":"Sourdough loaf","sku":"SD-1","quantity":2,"price":"1500"},'
    .. '{"name":"Coffee","sku":"CF-2","quantity":1,"price":"1000"}]}'
  return wrk.format("POST", nil, headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,'
    .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_ms":%.3f,"p99_ms":%.3f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""

BARE_APP = r"""
import json, socket, sqlite3, sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

db = sqlite3.connect(sys.argv[1], isolation_level=None, check_same_thread=False)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE orders (seq INTEGER PRIMARY KEY, store_id TEXT, order_id TEXT, body TEXT, UNIQUE (store_id, order_id))")

async def post_order(request):
    body = await request.body()
    order = json.loads(body)
    db.execute("INSERT OR IGNORE INTO orders (store_id, order_id, body) VALUES (?, ?, ?)", ("s", order["orderId"], body))
    return JSONResponse({"success": True, "orderId": order["orderId"]})

sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(2048)
print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
app = Starlette(routes=[Route("/v1/orders", post_order, methods=["POST"])])
uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")).run(sockets=[sock])
"""

AIOHTTP_LOAD = r"""
import asyncio, json, sys, time, aiohttp
url, seconds, connections, prefix = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
counts = {"requests": 0, "status_errors": 0, "read_errors": 0}
async def worker(session, wid, deadline):
    n = 0
    while time.monotonic() < deadline:
        n += 1
        body = {"orderId": f"{prefix}-{wid}-{n}", "orderDate": "2026-06-28T14:03:00.000Z", "orderTotal": "2500",
                "currency": "USD", "type": "sale", "items": [{"name": "Coffee", "sku": "CF-2", "quantity": 1, "price": "2500"}]}
        try:
            async with session.post(url, json=body) as r:
                await r.read()
                counts["requests"] += 1
                if r.status >= 300: counts["status_errors"] += 1
        except aiohttp.ClientError:
            counts["read_errors"] += 1
async def main():
    start = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session:
        await asyncio.gather(*(worker(session, i, start + seconds) for i in range(connections)))
    counts["duration_us"] = int((time.monotonic() - start) * 1e6)
    print("WRK_JSON " + json.dumps(counts), flush=True)
asyncio.run(main())
"""


def start(cmd: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    first = proc.stdout.readline().strip()  # the server prints its URL once it listens
    url = first.removeprefix("Rulrr sandbox at ").strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit(f"server did not start: {first!r}")
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), or None where that is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def connect_store(url: str, store_id: str = "store-1") -> str:
    """Connects `store_id` the way the app does, with the hook standing in for the merchant's browser."""
    with httpx.Client(base_url=url, timeout=10) as client:
        token = client.post("/v1/auth/integration", params=PARTNER).raise_for_status().json()["integrationToken"]
        client.post(f"/_sandbox/integrations/{token}/finish", params={"store_id": store_id}).raise_for_status()
        tokens = client.post("/v1/auth/token", params={**PARTNER, "integration_token": token}).raise_for_status()
        return tokens.json()["accessToken"]


def load(target: str, seconds: float, connections: int, threads: int, prefix: str, tool: str) -> dict:
    """Drives POST target for `seconds`; returns the generator's counts (requests, errors, duration_us)."""
    if tool == "wrk":
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(WRK_SCRIPT)
        try:
            cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", f.name,
                   target, "--", prefix]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        finally:
            os.unlink(f.name)
    else:
        out = subprocess.run([sys.executable, "-c", AIOHTTP_LOAD, target, str(seconds), str(connections), prefix],
                             capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (well under a minute)")
    parser.add_argument("--seconds", type=float, help="length of each measured run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (the server is one process)")
    parser.add_argument("--tool", choices=("wrk", "aiohttp"), default="wrk" if shutil.which("wrk") else "aiohttp")
    args = parser.parse_args()
    seconds = args.seconds or (5 if args.quick else 15)
    figures: dict = {"tool": args.tool, "connections": args.connections, "seconds": seconds}
    with tempfile.TemporaryDirectory(prefix="rulrr-bench-") as tmp:
        sandbox, url = start([sys.executable, "-m", "rulrr_desktop", "sandbox", "--port", "0",
                              "--state", str(Path(tmp) / "sandbox.sqlite3")])
        try:
            access = connect_store(url)
            target = f"{url}/v1/orders?access_token={access}"
            load(target, 1, args.connections, args.threads, "warmup", args.tool)
            before = httpx.get(f"{url}/_sandbox/orders", params={"store_id": "store-1", "limit": 0}).json()
            cpu_before = cpu_seconds(sandbox.pid)
            run = load(target, seconds, args.connections, args.threads, "bench", args.tool)
            cpu_after = cpu_seconds(sandbox.pid)
            after = httpx.get(f"{url}/_sandbox/orders", params={"store_id": "store-1", "limit": 0}).json()
        finally:
            stop(sandbox)
        bare, bare_url = start([sys.executable, "-c", BARE_APP, str(Path(tmp) / "bare.sqlite3")])
        try:
            load(f"{bare_url}/v1/orders", 1, args.connections, args.threads, "warmup", args.tool)
            bare_cpu_before = cpu_seconds(bare.pid)
            bare_run = load(f"{bare_url}/v1/orders", seconds, args.connections, args.threads, "bench", args.tool)
            bare_cpu_after = cpu_seconds(bare.pid)
        finally:
            stop(bare)
    posts = after["posts"] - before["posts"]
    errors = sum(run.get(k, 0) for k in ("status_errors", "read_errors", "write_errors", "connect_errors", "timeouts"))
    figures.update({
        "orders_per_s": round(run["per_s"]),
        "bare_orders_per_s": round(bare_run["per_s"]),
        "vs_bare": round(run["per_s"] / bare_run["per_s"], 2),
        "requests": run["requests"], "errors": errors, "posts_counted": posts,
        "duplicates": after["duplicates"] - before["duplicates"],
        "p50_ms": run.get("p50_ms"), "p99_ms": run.get("p99_ms"),
    })
    if cpu_before is not None and cpu_after is not None and bare_cpu_before is not None and bare_cpu_after is not None:
        # CPU time per order in the server process: what it costs whatever else the machine is doing
        figures["server_cpu_ms_per_order"] = round(1000 * (cpu_after - cpu_before) / max(posts, 1), 3)
        figures["bare_cpu_ms_per_order"] = round(1000 * (bare_cpu_after - bare_cpu_before) / max(bare_run["requests"], 1), 3)
        figures["cpu_bound_orders_per_s"] = round(1000 / max(figures["server_cpu_ms_per_order"], 1e-3))
    ok = errors == 0 and figures["duplicates"] == 0 and posts >= run["requests"]
    figures["ok"] = ok
    print(f"sandbox: {figures['orders_per_s']} POST /v1/orders per s ({run['requests']} in {seconds} s, "
          f"{errors} errors, {posts} counted by the sandbox); bare Starlette + SQLite: {figures['bare_orders_per_s']}/s")
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
