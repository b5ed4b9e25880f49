"""Seconds from the merchant's Connect click to the tokens in the OS keyring, against the poll interval.

Starts `rulrr-desktop sandbox`, then runs the connect flow as the app does (a `ConnectSession` polled every
`--interval` seconds, then exchange → keyring → store record) several times. In each trial the merchant's
click (the sandbox's finish hook, exactly what the Connect button does) lands at a random moment of the poll
cycle; the latency is from just before that hook call to the keyring write returning (inside
`exchange_and_store()`, before the store is read). The baseline is the poll interval itself: the target is
at most one interval + 0.5 s.

Run it inside a desktop session (`make bench` provides a real Secret Service). The last stdout line is one JSON
object: {"connect_latency_s": median, "connect_latency_max_s", "poll_interval_s", "target_s", "within_target",
"exchange_to_keyring_s", "keyring_backend", "trials"}. `--quick` runs 4 trials (well under a minute).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rulrr_desktop.core.config import AppPaths  # noqa: E402
from rulrr_desktop.core.connect import ConnectSession, ConnectState  # noqa: E402
from rulrr_desktop.core.credentials import load_credentials  # noqa: E402
from rulrr_desktop.core.secrets import TokenStore  # noqa: E402


def start_sandbox() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "rulrr_desktop", "sandbox", "--host", "127.0.0.1", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    first = proc.stdout.readline().strip()
    if not first.startswith("Rulrr sandbox at "):
        proc.kill()
        raise SystemExit(f"the sandbox did not start: {first!r}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, first.removeprefix("Rulrr sandbox at ")


class TimedTokenStore(TokenStore):
    """The real keyring store, noting when the tokens were in the keyring (save() returned)."""

    saved_at = 0.0

    def save(self, access_token: str, refresh_token: str) -> None:
        super().save(access_token, refresh_token)
        self.saved_at = time.monotonic()


def one_trial(paths: AppPaths, url: str, interval: float, rng: random.Random) -> tuple[float, float]:
    """One connect; returns (click → tokens in keyring, exchange → tokens in keyring) in seconds."""
    store = TimedTokenStore(paths.profile)
    session = ConnectSession(paths, load_credentials(paths), token_store=store)
    try:
        session.start()
        token = session.integration_token
        clicked: list[float] = []
        delay = interval * (1 + rng.random())       # after the first poll, somewhere in a poll cycle

        def merchant_clicks() -> None:
            time.sleep(delay)
            clicked.append(time.monotonic())
            httpx.post(f"{url}/_sandbox/integrations/{token}/finish", params={"store_id": "store-1"},
                       timeout=30).raise_for_status()

        merchant = threading.Thread(target=merchant_clicks, daemon=True)
        merchant.start()
        while session.poll() is ConnectState.PENDING:
            time.sleep(interval)                     # the poll interval under test (as the QTimer does)
        if session.state is not ConnectState.FINISHED:
            raise SystemExit(f"unexpected state {session.state}")
        began = time.monotonic()
        if session.exchange_and_store() is not ConnectState.STORED:
            raise SystemExit(f"the tokens were not stored: {session.error}")
        stored = store.saved_at
        merchant.join()
        return stored - clicked[0], stored - began
    finally:
        session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 trials")
    parser.add_argument("--trials", type=int, default=0)
    parser.add_argument("--interval", type=float, default=1.5, help="the poll interval (default 1.5 s, the app's)")
    args = parser.parse_args()
    trials = args.trials or (4 if args.quick else 12)
    rng = random.Random(1)
    proc, url = start_sandbox()
    with tempfile.TemporaryDirectory(prefix="rulrr-bench-connect-") as tmp:
        partner = Path(tmp) / "partner.toml"
        partner.write_text(f'[partner]\nname = "Demo POS"\nclient_id = "demo-pos"\nclient_secret = "demo-secret"\n'
                           f'api_url = "{url}"\nconnect_url = "{url}/connect"\n', encoding="utf-8")
        os.environ["RULRR_PARTNER_FILE"] = str(partner)
        os.environ.pop("RULRR_CLIENT_SECRET", None)
        paths = AppPaths.resolve(Path(tmp) / "home", f"bench-{os.getpid()}")
        store = TokenStore(paths.profile)
        latencies, exchanges = [], []
        try:
            for n in range(trials):
                latency, exchange = one_trial(paths, url, args.interval, rng)
                latencies.append(latency)
                exchanges.append(exchange)
                print(f"trial {n + 1}/{trials}: click → keyring {latency:.3f} s (exchange + keyring "
                      f"{exchange * 1000:.0f} ms)", flush=True)
                store.delete()
        finally:
            store.delete()
            proc.terminate()
            proc.wait(timeout=10)
    target = args.interval + 0.5
    figures = {
        "connect_latency_s": round(statistics.median(latencies), 3),
        "connect_latency_max_s": round(max(latencies), 3),
        "poll_interval_s": args.interval,
        "target_s": target,
        "within_target": round(sum(1 for x in latencies if x <= target) / len(latencies), 3),
        "exchange_to_keyring_s": round(statistics.median(exchanges), 3),
        "keyring_backend": store.backend_name,
        "trials": trials,
    }
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
