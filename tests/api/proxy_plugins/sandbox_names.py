"""A proxy.py plugin for the proxy tests: the proxy resolves names under `.test` to 127.0.0.1 (the sandbox), as a
company proxy resolves names the shop PC cannot. A request to http://rulrr-api.test:<port> therefore reaches the
sandbox only through the proxy: the PC itself cannot resolve `.test` (RFC 2606)."""

from proxy.http.proxy import HttpProxyBasePlugin


class SandboxNames(HttpProxyBasePlugin):
    """proxy.py's documented hook for a custom resolver (see proxy.plugin.CustomDnsResolverPlugin)."""

    def resolve_dns(self, host: str, port: int):
        return ("127.0.0.1", None) if host.endswith(".test") else (None, None)
