"""Running the sandbox: in the foreground for `rulrr-desktop sandbox`, or in a thread for the demo.

The foreground server says where it is only once it listens (the first stdout line is the contract that
tests and scripts wait for) and exits 0 on SIGINT/SIGTERM. uvicorn serves, with uvloop and httptools when
installed: that is what keeps the sandbox well above 1,500 orders a second on two cores.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import uvicorn

from rulrr_desktop.sandbox.app import SandboxApp
from rulrr_desktop.sandbox.state import SandboxState

READY_PREFIX = "Rulrr sandbox at "  # the first stdout line of `rulrr-desktop sandbox` (CONTRACT.md)
GRACEFUL_SHUTDOWN_S = 2  # held "timeout" faults must not keep a stopping sandbox alive
# Idle keep-alive connections stay open longer than any client keeps them (httpx: 5 s), so a client never
# sends a request on a connection the server is closing at that moment (a spurious "outcome unknown").
KEEP_ALIVE_S = 75


class _Server(uvicorn.Server):
    """uvicorn's server that reports when it listens, and stops cleanly (exit 0) on SIGINT/SIGTERM."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit and self.on_ready is not None:
            self.on_ready()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises the signal after shutting down, which would end the process with 130 / -15.
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handle(sig: int, frame: object) -> None:
            if self.should_exit:
                self.force_exit = True
            self.should_exit = True

        originals = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, original in originals.items():
                signal.signal(sig, original)


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _server(app: SandboxApp, on_ready: Callable[[], None] | None) -> _Server:
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False,
                            proxy_headers=False, timeout_keep_alive=KEEP_ALIVE_S,
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S, backlog=2048)
    return _Server(config, on_ready)


def serve_forever(host: str = "127.0.0.1", port: int = 8765, state_file: str | Path | None = None,
                  on_ready: Callable[[str], None] | None = None) -> None:
    """Serves until SIGINT/SIGTERM; calls `on_ready(url)` once the server accepts connections."""
    sock = _listen(host, port)
    url = _url(host, sock)
    state = SandboxState(state_file)
    try:
        server = _server(SandboxApp(state), (lambda: on_ready(url)) if on_ready else None)
        server.run(sockets=[sock])
    finally:
        sock.close()
        state.close()


@dataclass
class RunningSandbox:
    """A sandbox serving in the background (a thread of this process, or a child process): its URL, and stop()."""

    url: str
    _server: _Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def connect_url(self) -> str:
        return f"{self.url}/connect"

    def stop(self, timeout: float = 10) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout)
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def start_in_thread(host: str = "127.0.0.1", port: int = 0, state_file: str | Path | None = None,
                    timeout: float = 10) -> RunningSandbox:
    """Starts the sandbox in a daemon thread and returns once it listens (for the demo and in-process tests)."""
    sock = _listen(host, port)
    url = _url(host, sock)
    ready = threading.Event()
    state = SandboxState(state_file)
    server = _server(SandboxApp(state), ready.set)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the caller below, not swallowed
            errors.append(exc)
        finally:
            sock.close()
            state.close()
            ready.set()

    thread = threading.Thread(target=run, name="rulrr-sandbox", daemon=True)
    thread.start()
    if not ready.wait(timeout) or errors or not server.started:
        server.should_exit = True
        raise RuntimeError(f"the sandbox did not start: {errors[0] if errors else 'timed out'}")
    return RunningSandbox(url, _server=server, _thread=thread)


def start_process(host: str = "127.0.0.1", port: int = 0, state_file: str | Path | None = None) -> RunningSandbox:
    """Starts `rulrr-desktop sandbox` as a child process and returns once it listens.

    Unlike start_in_thread, the sandbox then never competes with the caller for the GIL: use it beside a UI.
    """
    command = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "rulrr_desktop"]
    command += ["sandbox", "--host", host, "--port", str(port)]
    if state_file is not None:
        command += ["--state", str(state_file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline().strip()  # printed once the server listens (or empty if it died)
    if not first.startswith(READY_PREFIX):
        process.kill()
        process.wait()
        raise RuntimeError(f"the sandbox did not start: {process.stderr.read()[-500:].strip() or first!r}")
    for stream in (process.stdout, process.stderr):  # keep draining, so a chatty sandbox never blocks
        threading.Thread(target=stream.read, daemon=True).start()
    return RunningSandbox(first.removeprefix(READY_PREFIX).strip(), _process=process)
