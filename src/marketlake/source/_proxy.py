"""Which proxy a request goes through, from the standard environment variables.

``https_proxy``, ``http_proxy`` and ``all_proxy`` (either case; lower case wins, and
``HTTP_PROXY`` is ignored under CGI, where a client's ``Proxy:`` header would set it) name an
``http://[user:password@]host[:port]`` proxy per target scheme; ``no_proxy`` lists hosts
reached directly: ``*`` (every host), names (``example.com`` and ``.example.com`` cover its
subdomains too), optionally with ``:port``, and IP addresses or networks (``10.0.0.0/8``).
Loopback targets (``localhost``, 127.0.0.0/8, ::1) are always reached directly: a proxy
cannot reach this machine's own stand-in. The rules are those of curl and Python's urllib,
read without importing urllib.request (it costs every run 20 ms).

An https target is reached through a ``CONNECT`` tunnel (TLS end to end, to the target); an
http target by sending the proxy the request with its absolute URL.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_SCHEMES = ("http", "https")
_LOOPBACK_NAMES = frozenset(("localhost", "localhost.localdomain", "ip6-localhost"))
_SUFFIX = "_proxy"


class ProxyConfigError(ValueError):
    """A proxy variable that does not name an ``http://`` proxy."""


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy: where it listens, and the ``Proxy-Authorization`` value if it has one."""

    host: str
    port: int
    authorization: str | None = None

    @classmethod
    def parse(cls, url: str) -> Proxy:
        """The proxy at ``url`` (``http://[user:password@]host[:port]``; no scheme: http)."""
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme != "http" or not parts.hostname:
            raise ProxyConfigError(f"a proxy must be an http://host[:port] URL, got {url!r}")
        try:
            port = parts.port or 80
        except ValueError as exc:
            raise ProxyConfigError(f"bad port in the proxy URL {url!r}") from exc
        authorization = None
        if parts.username is not None:
            user, password = unquote(parts.username), unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            authorization = f"Basic {token}"
        return cls(parts.hostname, port, authorization)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"  # never the credentials


@dataclass(frozen=True)
class ProxyRoutes:
    """The proxy per target scheme and the hosts that bypass it."""

    proxies: Mapping[str, Proxy]
    bypass: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ProxyRoutes:
        """The routes the environment variables describe (none set: every host direct)."""
        variables = _proxy_variables(os.environ if environ is None else environ)
        proxies = {
            scheme: Proxy.parse(url)
            for scheme in _SCHEMES
            if (url := variables.get(scheme) or variables.get("all"))
        }
        bypass = tuple(
            entry.strip().lower() for entry in variables.get("no", "").split(",") if entry.strip()
        )
        return cls(proxies, bypass)

    def for_target(self, scheme: str, host: str, port: int) -> Proxy | None:
        """The proxy a request to ``scheme://host:port`` goes through; None: directly."""
        proxy = self.proxies.get(scheme)
        if proxy is None or _is_loopback(host) or self._bypassed(host.lower(), port):
            return None
        return proxy

    def _bypassed(self, host: str, port: int) -> bool:
        return any(_matches(entry, host, port) for entry in self.bypass)


def _proxy_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """``{scheme, "all" or "no": value}`` from the ``*_proxy`` variables, as urllib reads them:
    any case first, then lower case again (it wins; empty unsets)."""
    found: dict[str, str] = {}
    for name, value in environ.items():
        if value and name.lower().endswith(_SUFFIX):
            found[name.lower()[: -len(_SUFFIX)]] = value
    if "REQUEST_METHOD" in environ:  # CGI: HTTP_PROXY may come from the client's Proxy header
        found.pop("http", None)
    for name, value in environ.items():
        if name.endswith(_SUFFIX):
            key = name.lower()[: -len(_SUFFIX)]
            if value:
                found[key] = value
            else:
                found.pop(key, None)
    return found


def _matches(entry: str, host: str, port: int) -> bool:
    """Whether the ``no_proxy`` entry covers ``host:port``."""
    if entry == "*":
        return True
    if "/" in entry:
        return _in_network(entry, host)
    name, entry_port = _name_and_port(entry)
    if entry_port is not None and entry_port != port:
        return False
    name = name.lstrip(".")
    return host == name or host.endswith(f".{name}")


def _name_and_port(entry: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address, split."""
    if entry.startswith("["):
        name, _, rest = entry[1:].partition("]")
        return name, _port(rest.removeprefix(":"))
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, _port(port)
    return entry, None


def _port(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _in_network(entry: str, host: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
