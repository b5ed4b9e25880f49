"""Running the sandbox: in the foreground for `rulrr-desktop sandbox`, or in a thread for the demo.

The foreground server says where it is only once it listens (the first stdout line is the contract that
tests and scripts wait for) and exits 0 on SIGINT/SIGTERM. uvicorn serves, with uvloop and httptools when
installed: that is what keeps the sandbox well above 1,500 orders a second on two cores.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import uvicorn

from rulrr_desktop.sandbox.app import SandboxApp
from rulrr_desktop.sandbox.state import SandboxState

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
    """A sandbox serving from a background thread: its base URL, and stop()."""

    url: str
    _server: _Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def connect_url(self) -> str:
        return f"{self.url}/connect"

    def stop(self, timeout: float = 10) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)


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
    return RunningSandbox(url, server, thread)
