"""Helpers of the sources tests: a pass that checks its cursors, and POS writer processes driven by markers."""


from __future__ import annotations

import importlib.util
import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent


def load_helper(name: str):
    """Imports one of the writer scripts of this folder as a module (for its `expected` and constants)."""
    spec = importlib.util.spec_from_file_location(f"sources_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_pass(source, cursor, **kw):
    """One pass: (records, last cursor, batches). Every cursor must survive a JSON round trip."""
    batches = list(source.batches(cursor, **kw))
    for batch in batches:
        assert json.loads(json.dumps(batch.cursor)) == batch.cursor
    records = [r for b in batches for r in b.records]
    return records, (batches[-1].cursor if batches else cursor), batches


class Writer:
    """A writer process; `wait_for(prefix)` returns its next stdout line starting with `prefix`."""

    def __init__(self, script: str, *args: str, stdin: bool = False) -> None:
        self.proc = subprocess.Popen([sys.executable, str(HERE / script), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.PIPE if stdin else None, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.done = False

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def poll_line(self) -> str | None:
        """The next line if one is ready (never blocks)."""
        try:
            line = self.lines.get_nowait()
        except queue.Empty:
            return None
        if line is None:
            self.done = True
            return None
        if line == "DONE":
            self.done = True
        return line

    def wait_for(self, prefix: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the writer did not say {prefix!r} in {timeout} s") from None
            if line is None:
                raise AssertionError(f"the writer ended before {prefix!r}: {self.proc.stderr.read()[-2000:]}")
            if line == "DONE":
                self.done = True
            if line.startswith(prefix):
                return line

    def send(self, text: str = "next") -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 30) -> None:
        assert self.proc.wait(timeout=timeout) == 0, self.proc.stderr.read()[-2000:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
