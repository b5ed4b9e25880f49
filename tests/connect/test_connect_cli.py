"""`rulrr-desktop connect` / `disconnect` in real subprocesses against the real sandbox and the session's real
Secret Service: exit 0 once the Connect page is completed (through the sandbox hook), 3 cancelled, 4 expired,
2 with a wrong client secret; `disconnect` deletes the keys and forgets the store."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from connect_helpers import ROOT, files_containing, integration  # type: ignore[import-not-found]

from rulrr_desktop.core.config import AppPaths
from rulrr_desktop.core.secrets import TokenStore


class ConnectProcess:
    def __init__(self, home, profile: str, env: dict) -> None:
        cmd = [sys.executable, "-m", "rulrr_desktop", "--home", str(home), "--profile", profile, "connect",
               "--poll-interval", "0.2"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     cwd=ROOT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=self._read_out, daemon=True),
                        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True)]
        for reader in self.readers:
            reader.start()

    def _read_out(self) -> None:
        for line in self.proc.stdout:
            self.out.append(line)
            self.lines.put(line.rstrip("\n"))

    def integration_token(self, timeout: float = 30) -> str:
        while True:
            line = self.lines.get(timeout=timeout)
            if "integration_token=" in line:
                return parse_qs(urlsplit(line.strip()).query)["integration_token"][0]

    def wait(self, timeout: float = 60) -> int:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        for reader in self.readers:
            reader.join(timeout=10)
        return self.proc.returncode

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def stdout(self) -> str:
        return "".join(self.out)


@pytest.fixture
def cli_env(partner_file):
    env = {k: v for k, v in os.environ.items() if k not in ("RULRR_DESKTOP_HOME", "RULRR_CLIENT_SECRET")}
    env["RULRR_PARTNER_FILE"] = str(partner_file)
    return env


@pytest.fixture
def profile(real_keyring):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    yield name
    TokenStore(name).delete()


@pytest.mark.keyring
def test_connect_then_disconnect(sandbox, cli_env, profile, tmp_path):
    home = tmp_path / "home"
    run = ConnectProcess(home, profile, cli_env)
    token = run.integration_token()
    sandbox.finish(token, store_id="store-1")
    assert run.wait() == 0, run.stderr
    assert "Connected to Bridge Street Bakery" in run.stdout()
    issued = integration(sandbox, token)
    stored = TokenStore(profile).load()
    assert stored.access_token == issued["access_token"]
    assert files_containing(home, stored.access_token, stored.refresh_token) == []
    assert stored.access_token not in run.stderr
    paths = AppPaths.resolve(home, profile)
    assert (paths.data_dir / "connection.json").exists()

    out = subprocess.run([sys.executable, "-m", "rulrr_desktop", "--home", str(home), "--profile", profile,
                          "disconnect"], capture_output=True, text=True, env=cli_env, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Bridge Street Bakery" in out.stdout
    assert TokenStore(profile).load() is None
    assert not (paths.data_dir / "connection.json").exists()


@pytest.mark.keyring
def test_connect_cancelled_exits_3(sandbox, cli_env, profile, tmp_path):
    run = ConnectProcess(tmp_path / "home", profile, cli_env)
    sandbox.cancel(run.integration_token())
    assert run.wait() == 3
    assert "cancelled" in run.stderr
    assert TokenStore(profile).load() is None


@pytest.mark.keyring
def test_connect_expired_exits_4(sandbox, cli_env, profile, tmp_path):
    run = ConnectProcess(tmp_path / "home", profile, cli_env)
    run.integration_token()
    sandbox.advance_clock(16 * 60)
    assert run.wait() == 4
    assert "15 minutes" in run.stderr


@pytest.mark.keyring
def test_connect_with_a_wrong_client_secret_exits_2(sandbox, cli_env, profile, tmp_path):
    run = ConnectProcess(tmp_path / "home", profile, {**cli_env, "RULRR_CLIENT_SECRET": "wrong-secret-123"})
    assert run.wait() == 2
    assert "POS vendor" in run.stderr
    assert "wrong-secret-123" not in run.stderr
