"""Fixtures of the sandbox tests: an HTTP client on the session's sandbox, a connected store, and sandbox
processes of the test's own (for the tests of the `rulrr-desktop sandbox` command itself)."""

from __future__ import annotations

from typing import Iterator

import httpx
import pytest

from sandbox_helpers import Connection, SandboxProcess, connect


@pytest.fixture
def api(sandbox) -> Iterator[httpx.Client]:
    """A client on the (freshly reset) session sandbox."""
    with httpx.Client(base_url=sandbox.url, timeout=10) as client:
        yield client


@pytest.fixture
def store1(api) -> Connection:
    return connect(api, "store-1")


@pytest.fixture
def sandbox_process() -> Iterator[type[SandboxProcess]]:
    """Starts sandbox processes for a test and makes sure none outlives it."""
    started: list[SandboxProcess] = []

    def start(*args: str) -> SandboxProcess:
        process = SandboxProcess(*args)
        started.append(process)
        return process

    yield start  # type: ignore[misc]
    for process in started:
        if process.proc.poll() is None:
            process.stop()
