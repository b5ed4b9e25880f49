"""Fixtures of the sources tests (helpers live in sources_helpers.py)."""

from __future__ import annotations

import pytest

from sources_helpers import Writer


@pytest.fixture
def writers():
    """Starts writer processes for a test and kills any still running at its end."""
    started: list[Writer] = []

    def start(script: str, *args: str, stdin: bool = False) -> Writer:
        writer = Writer(script, *map(str, args), stdin=stdin)
        started.append(writer)
        return writer
    yield start
    for writer in started:
        writer.kill()
