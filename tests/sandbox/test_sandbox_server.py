"""`rulrr-desktop sandbox` as a command (first line, real port, exit 0 on signals, --state across restarts)
and the in-process `start_in_thread` the demo uses."""

from __future__ import annotations

import re
import signal
import socket
import threading
import time

import httpx
import pytest

from rulrr_desktop.sandbox.server import start_in_thread, start_process
from sandbox_helpers import connect, order


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_first_line_names_the_real_port_and_a_signal_exits_0(sandbox_process, sig):
    process = sandbox_process("--host", "127.0.0.1", "--port", "0")
    match = re.fullmatch(r"Rulrr sandbox at http://127\.0\.0\.1:(\d+)", process.first_line)
    assert match and int(match.group(1)) > 0, process.first_line
    assert httpx.get(f"{process.url}/connect").status_code == 200  # listening as soon as it said so
    assert process.stop(sig) == 0


def test_state_file_keeps_the_world_across_restarts(sandbox_process, tmp_path):
    state = tmp_path / "sandbox.sqlite3"
    first = sandbox_process("--port", "0", "--state", str(state))
    with httpx.Client(base_url=first.url, timeout=10) as client:
        conn = connect(client, "store-2")
        client.post("/v1/orders", params=conn.auth, json=order("KEEP-1", currency="EUR")).raise_for_status()
        client.post("/_sandbox/clock", json={"advance_seconds": 600}).raise_for_status()
    assert first.stop() == 0
    second = sandbox_process("--port", "0", "--state", str(state))
    with httpx.Client(base_url=second.url, timeout=10) as client:
        kept = client.get("/v1/orders", params={**conn.auth, "orderId": "KEEP-1"})
        assert kept.status_code == 200 and kept.json()["order"]["orderId"] == "KEEP-1"
        assert client.get("/_sandbox/state").json()["clock_offset_seconds"] == 600


def test_a_busy_port_is_a_clear_error(sandbox_process):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        process = sandbox_process("--port", str(busy.getsockname()[1]))
        assert process.proc.wait(timeout=15) == 1
        assert process.first_line == ""
        assert "cannot listen" in process.proc.stderr.read()


def test_start_in_thread_serves_until_stopped(tmp_path):
    running = start_in_thread(port=0, state_file=tmp_path / "state.sqlite3")
    try:
        assert running.connect_url == running.url + "/connect"
        with httpx.Client(base_url=running.url, timeout=10) as client:
            conn = connect(client)
            assert client.post("/v1/orders", params=conn.auth, json=order("T-1")).status_code == 200
    finally:
        running.stop()
    assert not running._thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(running.url, timeout=2)


def test_start_process_serves_from_a_child_until_stopped(tmp_path):
    running = start_process(port=0, state_file=tmp_path / "state.sqlite3")
    try:
        with httpx.Client(base_url=running.url, timeout=10) as client:
            conn = connect(client)
            assert client.post("/v1/orders", params=conn.auth, json=order("P-1")).status_code == 200
    finally:
        running.stop()
    assert running._process is not None and running._process.returncode == 0


def test_stopping_with_a_held_answer_cuts_it_rather_than_answer_500(sandbox_process):
    process = sandbox_process("--port", "0")
    outcome: dict = {}
    with httpx.Client(base_url=process.url, timeout=60) as client:
        conn = connect(client)
        client.post("/_sandbox/faults", json={"timeout_rate": 1.0, "timeout_s": 30}).raise_for_status()

        def post() -> None:
            try:
                outcome["status"] = client.post("/v1/orders", params=conn.auth, json=order("HELD-1")).status_code
            except httpx.TransportError as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=post)
        sender.start()
        deadline = time.monotonic() + 15
        while httpx.get(f"{process.url}/_sandbox/orders").json()["count"] == 0:  # stored, answer held
            assert time.monotonic() < deadline
        assert process.stop() == 0
        sender.join(15)
    assert "status" not in outcome and isinstance(outcome.get("error"), httpx.TransportError)
