"""Fixtures of the packaging tests: one frozen build per session (from the working tree, with a vendor's
partner file), unpacked from its tarball the way a store PC gets it, and helpers that run the FROZEN binary
with no Python environment at all (a bare PATH, no PYTHONPATH, run from an empty folder)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from packaging_helpers import PACKAGING, ROOT  # type: ignore[import-not-found]

VENDOR_NAME = "Acme Test POS"


@dataclass
class FrozenBuild:
    """The unpacked tarball of one build, and what build.py said about it."""

    folder: Path            # the unpacked top folder, rulrr-desktop-<version>/
    summary: dict
    tarball: Path
    scratch: Path           # a folder for the tests' homes and files
    vendor_name: str = VENDOR_NAME

    @property
    def binary(self) -> Path:
        return self.folder / "rulrr-desktop"

    @property
    def internal(self) -> Path:
        return self.folder / "_internal"

    def env(self, **extra: str) -> dict[str, str]:
        """What a desktop session gives a program, and nothing of this test run's Python."""
        keep = ("HOME", "USER", "LANG", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "XDG_DATA_HOME",
                "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "QTWEBENGINE_DISABLE_SANDBOX",
                "QTWEBENGINE_CHROMIUM_FLAGS", "GNOME_KEYRING_CONTROL")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env["PATH"] = "/usr/bin:/bin"
        env.update(extra)
        return env

    def run(self, *args: str, home: Path | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        extra = {"RULRR_DESKTOP_HOME": str(home)} if home else {}
        return subprocess.run([str(self.binary), *args], capture_output=True, text=True, timeout=timeout,
                              cwd=self.scratch, env=env or self.env(**extra))

    def popen(self, *args: str, home: Path | None = None) -> subprocess.Popen:
        extra = {"RULRR_DESKTOP_HOME": str(home)} if home else {}
        return subprocess.Popen([str(self.binary), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=self.scratch, env=self.env(**extra))


def write_vendor_partner(folder: Path) -> Path:
    """A POS vendor's partner file with its own name and icon (the sandbox's seeded credentials)."""
    folder.mkdir(parents=True, exist_ok=True)
    icon = (ROOT / "rulrr_desktop" / "resources" / "icons" / "app.svg").read_text(encoding="utf-8")
    (folder / "acme-logo.svg").write_text(icon.replace("<svg", "<svg data-vendor=\"acme\"", 1), encoding="utf-8")
    partner = folder / "partner.toml"
    partner.write_text(
        "[partner]\n"
        f'name = "{VENDOR_NAME}"\nclient_id = "demo-pos"\nclient_secret = "demo-secret"\n'
        'api_url = "http://127.0.0.1:9"\nconnect_url = "http://127.0.0.1:9/connect"\nicon = "acme-logo.svg"\n',
        encoding="utf-8")
    return partner


@pytest.fixture(scope="session")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> FrozenBuild:
    """`packaging/build.py` run once for the session, its tarball unpacked into a fresh folder."""
    base = tmp_path_factory.mktemp("frozen")
    partner = write_vendor_partner(base / "vendor")
    log = base / "build.log"
    cmd = [sys.executable, str(PACKAGING / "build.py"), "--partner", str(partner), "--dist", str(base / "dist"),
           "--work", str(base / "work"), "--gzip-level", "1", "--no-appimage"]
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, timeout=420)
    text = log.read_text(encoding="utf-8", errors="replace")
    if done.returncode != 0:
        pytest.fail(f"packaging/build.py failed ({done.returncode}):\n{text[-4000:]}")
    summary = json.loads(text.strip().splitlines()[-1])
    tarball = Path(summary["tarball"])
    unpacked = base / "unpacked"
    with tarfile.open(tarball) as tar:
        tar.extractall(unpacked, filter="tar")
    (folder,) = unpacked.iterdir()
    shutil.rmtree(base / "dist" / "rulrr-desktop")   # only the unpacked tarball is used from here on
    shutil.rmtree(base / "work")
    scratch = base / "scratch"
    scratch.mkdir()
    return FrozenBuild(folder, summary, tarball, scratch)


@dataclass
class FrozenSandbox:
    """`rulrr-desktop sandbox` run from the frozen build, and its /_sandbox hooks."""

    url: str
    process: subprocess.Popen

    @property
    def connect_url(self) -> str:
        return f"{self.url}/connect"

    def hook(self, method: str, path: str, **params) -> dict:
        response = httpx.request(method, f"{self.url}/_sandbox/{path}", params=params or None, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else {}


@pytest.fixture(scope="module")
def frozen_sandbox(frozen: FrozenBuild, tmp_path_factory: pytest.TempPathFactory):
    """The frozen app's own sandbox on a free loopback port, for the tests of one module."""
    state = tmp_path_factory.mktemp("frozen-sandbox") / "state.sqlite3"
    proc = frozen.popen("sandbox", "--host", "127.0.0.1", "--port", "0", "--state", str(state))
    first = proc.stdout.readline().strip()  # the contract: the first line says where it listens
    if not first.startswith("Rulrr sandbox at "):
        proc.kill()
        pytest.fail(f"the frozen sandbox did not start: {first!r} {proc.stderr.read()[-3000:]}")
    for stream in (proc.stdout, proc.stderr):
        threading.Thread(target=stream.read, daemon=True).start()
    yield FrozenSandbox(first.removeprefix("Rulrr sandbox at ").strip(), proc)
    proc.terminate()
    try:
        assert proc.wait(timeout=15) == 0, "the frozen sandbox did not exit cleanly on SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
