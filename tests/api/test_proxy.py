"""The `[network] proxy` setting and the system's proxy, over real HTTP: a real proxy (proxy.py, with a login)
between the app's two HTTP paths (the httpx API client, the aiohttp order poster) and the real sandbox.

What must hold: with a proxy set, every request goes through it (the proxy's access log lists them; a proxy that
does not answer stops the request instead of being bypassed), logged in with the password kept in the keyring
(in-memory test keyring and the real Secret Service); with the setting empty, the system's proxy
(HTTP_PROXY, NO_PROXY) is used, except for loopback addresses, which are reached directly.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from polling import wait_for
from rulrr_desktop.core.api import RulrrClient
from rulrr_desktop.core.api.errors import NetworkError
from rulrr_desktop.core.api.failures import PROXY_REFUSED, PROXY_UNREACHABLE
from rulrr_desktop.core.config import Settings, load_settings, save_settings
from rulrr_desktop.core.credentials import load_credentials
from rulrr_desktop.core.network import store_proxy_login
from rulrr_desktop.core.secrets import ProxyPasswords
from rulrr_desktop.core.sync import build_engine
from rulrr_desktop.core.sync_http import OrderPoster, PostResult
from test_api_sandbox import order

PLUGINS = Path(__file__).resolve().parent / "proxy_plugins"
USER, PASSWORD = "bakery", "pr0xy-pa55word"
PROXY_ENV = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
_ACCESS = re.compile(r"access_log:\d+ - \S+ - (?P<method>[A-Z]+) (?P<target>\S+) - (?P<status>\d+)")


@dataclass
class RunningProxy:
    port: int
    log: Path

    def url(self, password: str = PASSWORD) -> str:
        return f"http://{USER}:{password}@127.0.0.1:{self.port}"

    def address(self) -> str:
        """The address as config.toml keeps it: the user name, not the password (that is in the keyring)."""
        return f"http://{USER}@127.0.0.1:{self.port}"

    def passed_on(self) -> set[str]:
        """"METHOD path" of the requests the proxy passed on, from its access log (one line per connection to
        the proxy, naming the connection's first request)."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return {f"{m['method']} {m['target'].split('/', 1)[-1].split('?')[0]}" for m in _ACCESS.finditer(text)}


@pytest.fixture(scope="module")
def http_proxy(tmp_path_factory: pytest.TempPathFactory):
    """proxy.py on 127.0.0.1 asking for a login, resolving `.test` names to the sandbox (proxy_plugins)."""
    folder = tmp_path_factory.mktemp("proxy")
    port_file, log = folder / "port", folder / "proxy.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGINS), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0", "--port-file", str(port_file),
         "--num-acceptors", "1", "--num-workers", "1", "--basic-auth", f"{USER}:{PASSWORD}",
         "--plugins", "sandbox_names.SandboxNames", "--log-file", str(log), "--log-level", "INFO"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 30, "the proxy to listen")
        yield RunningProxy(int(port), log)
    finally:
        process.terminate()                 # proxy.py stops its acceptor and worker processes on SIGTERM
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:   # never leave a proxy behind
            process.kill()


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def system_proxy(monkeypatch: pytest.MonkeyPatch):
    """Sets the system's proxy (the environment) for the test: `system_proxy(url, no_proxy="")`."""
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)

    def set_proxy(url: str, no_proxy: str = "") -> None:
        monkeypatch.setenv("HTTP_PROXY", url)
        monkeypatch.setenv("NO_PROXY", no_proxy)
    return set_proxy


def post_order(poster: OrderPoster, access_token: str, order_id: str) -> PostResult:
    """One order through the bulk path (its own event loop)."""
    async def run() -> PostResult:
        async with poster:
            return await poster.post(json.dumps(order(order_id)), access_token)
    return asyncio.run(run())


def order_ids(sandbox) -> set[str]:
    return {o["orderId"] for o in sandbox.orders()["orders"]}


@pytest.mark.parametrize("keyring_kind", ["memory", pytest.param("real", marks=pytest.mark.keyring)])
def test_the_proxy_setting_carries_both_http_paths_to_rulrr(request, app_home, partner_file, sandbox, http_proxy,
                                                           keyring_kind):
    if keyring_kind == "real":
        request.getfixturevalue("real_keyring")
        request.addfinalizer(lambda: ProxyPasswords().delete(http_proxy.address()))
    settings = load_settings(app_home)
    saved = store_proxy_login(http_proxy.address(), PASSWORD)          # what Settings → Sending does on Save
    assert not saved.held and ProxyPasswords().get(http_proxy.address()) == PASSWORD
    settings.network.proxy = saved.address
    save_settings(app_home, settings)
    assert PASSWORD not in app_home.config_file.read_text(encoding="utf-8")
    credentials = load_credentials(app_home)                            # the password joined back, in memory
    assert credentials.proxy == http_proxy.url() and PASSWORD not in repr(credentials)

    with RulrrClient.for_partner(credentials, retries=0) as client:       # how connect and sync build it
        integration_token = client.create_integration()
        sandbox.finish(integration_token)
        tokens = client.exchange_tokens(integration_token)
    engine = build_engine(app_home)
    try:                                            # the poster the sync engine builds, to the loopback sandbox
        poster = engine.poster_factory(credentials.api_url, max_connections=2, timeout=10)
        assert post_order(poster, tokens.access_token, "R-PROXY-1").order_id == "R-PROXY-1"
    finally:
        engine.close()

    assert "R-PROXY-1" in order_ids(sandbox)
    wanted = {"POST v1/auth/integration", "POST v1/orders"}              # the httpx client's, the poster's
    wait_for(lambda: wanted <= http_proxy.passed_on(), 10, "the proxy's access log to list both clients")


def test_a_proxy_that_does_not_answer_stops_both_paths_instead_of_being_bypassed(sandbox, connected, closed_port,
                                                                                make_client):
    proxy = f"http://{USER}:{PASSWORD}@127.0.0.1:{closed_port}"
    client = make_client(sandbox.url, access_token=connected.tokens.access_token, proxy=proxy, retries=0)
    with pytest.raises(NetworkError) as raised:
        client.get_store()
    assert raised.value.title == PROXY_UNREACHABLE and f"127.0.0.1:{closed_port}" in raised.value.message
    assert PASSWORD not in raised.value.message

    with pytest.raises(NetworkError) as raised_bulk:
        post_order(OrderPoster(sandbox.url, proxy=proxy, connect_timeout=5), connected.tokens.access_token,
                   "R-NOT-SENT")
    assert raised_bulk.value.title == PROXY_UNREACHABLE and f"127.0.0.1:{closed_port}" in raised_bulk.value.message
    assert PASSWORD not in raised_bulk.value.message
    assert "R-NOT-SENT" not in order_ids(sandbox)


def test_a_refused_proxy_login_says_so_on_both_paths(sandbox, connected, http_proxy, make_client, caplog):
    proxy = http_proxy.url(password="wrong-pa55word")
    client = make_client(sandbox.url, access_token=connected.tokens.access_token, proxy=proxy, retries=0)
    with pytest.raises(NetworkError) as raised:
        client.get_store()
    with pytest.raises(NetworkError) as raised_bulk:
        post_order(OrderPoster(sandbox.url, proxy=proxy), connected.tokens.access_token, "R-REFUSED")
    for error in (raised.value, raised_bulk.value):
        assert error.title == PROXY_REFUSED and error.status == 407 and "password" in error.message
    assert "R-REFUSED" not in order_ids(sandbox)
    assert "wrong-pa55word" not in caplog.text + raised.value.message + raised_bulk.value.message


def test_with_the_setting_empty_the_system_proxy_and_no_proxy_are_honoured(sandbox, connected, http_proxy,
                                                                          system_proxy, make_client):
    # `rulrr-api.test` resolves only at the proxy: an answer proves the request went through it.
    api_url = sandbox.url.replace("127.0.0.1", "rulrr-api.test")
    token = connected.tokens.access_token
    system_proxy(http_proxy.url())
    assert make_client(api_url, access_token=token, retries=0).get_store()
    assert post_order(OrderPoster(api_url), token, "R-SYSTEM-1").order_id == "R-SYSTEM-1"

    system_proxy(http_proxy.url(), no_proxy="rulrr-api.test")       # NO_PROXY names it: direct, so unreachable
    with pytest.raises(NetworkError) as raised:
        make_client(api_url, access_token=token, retries=0).get_store()
    assert raised.value.title != PROXY_UNREACHABLE
    with pytest.raises(NetworkError):
        post_order(OrderPoster(api_url, connect_timeout=5), token, "R-SYSTEM-2")
    assert "R-SYSTEM-2" not in order_ids(sandbox)


def test_loopback_is_reached_directly_whatever_the_system_proxy(sandbox, connected, closed_port, system_proxy,
                                                               make_client):
    system_proxy(f"http://127.0.0.1:{closed_port}")              # a system proxy that would fail every request
    token = connected.tokens.access_token
    for api_url in (sandbox.url, sandbox.url.replace("127.0.0.1", "localhost")):
        assert make_client(api_url, access_token=token, retries=0).get_store()
    assert post_order(OrderPoster(sandbox.url), token, "R-LOOPBACK-1").order_id == "R-LOOPBACK-1"
    assert "R-LOOPBACK-1" in order_ids(sandbox)


@pytest.mark.keyring
def test_the_web_view_selftest_goes_through_the_profiles_proxy_with_the_keyring_password(
        real_keyring, request, app_home, sandbox, http_proxy):
    request.addfinalizer(lambda: ProxyPasswords().delete(http_proxy.address()))
    settings = Settings()
    settings.network.proxy = store_proxy_login(http_proxy.address(), PASSWORD).address
    save_settings(app_home, settings)
    with RulrrClient(sandbox.url, "demo-pos", "demo-secret", retries=0) as client:
        token = client.create_integration()
    # `rulrr-connect.test` resolves only at the proxy: a rendered page proves the web view went through it
    url = f"{sandbox.connect_url.replace('127.0.0.1', 'rulrr-connect.test')}?integration_token={token}"
    run = subprocess.run([sys.executable, "-m", "rulrr_desktop", "selftest-webview", url, "--timeout", "60"],
                         capture_output=True, text=True, timeout=120)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert run.returncode == 0 and report["ok"] and report["text_chars"] > 20, run.stdout + run.stderr[-2000:]
    assert report["proxy"] == f"http://***@127.0.0.1:{http_proxy.port}"
    assert PASSWORD not in run.stdout + run.stderr
    wait_for(lambda: any(target.startswith("GET connect") for target in http_proxy.passed_on()), 10,
             "the proxy's access log to list the Connect page")
