"""Fetching a web page that an organizer pasted, without letting the server be turned against its own
network (server-side request forgery).

An organizer pastes an article's address and the server fetches it. Whoever can paste an address
could instead ask for ``http://169.254.169.254/`` (a cloud's metadata service with its credentials),
``http://127.0.0.1:6379/`` (our Redis), a router on the office network, or a name whose DNS answer
changes between our check and our connection. So, for every request, the first and each redirect:

1. **The address.** http or https only, on port 80 or 443 only, no user name or password in it.
   The host is a name or a normally written IPv4/IPv6 address: numeric spellings that browsers
   and ``inet_aton`` read as an IPv4 address (``2852039166``, ``0251.0376.0251.0376``,
   ``0xa9fea9fe``, ``169.254.43518``) are refused outright; no article lives at one.
2. **Every address the name resolves to must be public.** Refused: loopback, private (10/8,
   172.16/12, 192.168/16), link-local (169.254/16, which holds 169.254.169.254, and fe80::/10),
   carrier-grade NAT (100.64/10), multicast, unspecified (0.0.0.0, ::), reserved and documentation
   ranges, IPv6 unique-local (fc00::/7), IPv4-mapped IPv6 (::ffff:127.0.0.1) and the IPv6 forms that
   carry an IPv4 address inside (NAT64, 6to4, Teredo). One bad address refuses the whole name: a
   name that resolves to a public and a private address is an attack, not an accident.
3. **We connect to the address we checked**, never looking the name up again (a second lookup is
   what DNS rebinding exploits). The connection goes to the vetted IP; the name is kept for the
   ``Host`` header, TLS SNI and the certificate check (urllib3's ``server_hostname`` and
   ``assert_hostname``), so https works as with a normal client.
4. **Redirects** are followed by hand, at most ``MAX_REDIRECTS``, each new address going through
   1–3 again.
5. **Limits:** ``TIMEOUT_SECONDS`` for everything, redirects included (a watchdog closes the socket
   at the deadline, so a server that drips one byte a second is cut off too), and ``MAX_BYTES`` of
   body read, after decompression. Only web pages (HTML) are read.
6. **Nothing of ours is sent:** no cookies (urllib3 keeps none), no credentials, no referrer.

Tests run a page server on 127.0.0.1; ``allowed_test_addresses`` (the ``LINK_FETCH_TEST_ADDRESSES``
setting, which no environment variable sets: only tests) exempts exactly those addresses from rule 2,
and from rule 1's port when every address of the host is one of them; nothing else. Everything
refused raises ``FetchRefused`` with a message for the organizer.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from flask_babel import gettext as _
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError
from w3lib.encoding import html_to_unicode

from organizer.services.common.errors import ValidationFailed

TIMEOUT_SECONDS = 5.0
MAX_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 5
ALLOWED_PORTS = frozenset({80, 443})
USER_AGENT = "Organizer link preview (+https://github.com/organizer)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Per the URL standard a host whose last label is a number is an IPv4 address in some spelling.
_ENDS_IN_NUMBER = re.compile(r"(^|\.)(0x[0-9a-f]*|[0-9]+)\.?$", re.IGNORECASE)
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"^{_OCTET}(\.{_OCTET}){{3}}$")
_EMBEDDING_V4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class FetchRefused(ValidationFailed):
    """The address may not be fetched, or its answer could not be used. The message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = TIMEOUT_SECONDS
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    allowed_test_addresses: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class FetchedPage:
    url: str  # where the page was finally found, after redirects
    html: str
    truncated: bool  # the body was longer than the limit: only its beginning was read


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, IDNA-encoded, without brackets
    port: int
    path: str  # path and query, what goes on the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _refused_address() -> FetchRefused:
    return FetchRefused(_("This address leads to a private or local network, which Organizer never fetches from. "
                          "Paste the article's public web address, or fill in the fields by hand."))


def parse_target(url: str, policy: FetchPolicy) -> Target:
    """Rule 1: the scheme, the port, no credentials, no odd spelling of an IP address."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        hostname = parts.hostname or ""
    except ValueError:
        raise FetchRefused(_("That doesn't look like a web address.")) from None
    if parts.scheme not in {"http", "https"} or not hostname:
        raise FetchRefused(_("Only web addresses starting with https:// or http:// can be fetched."))
    if parts.username is not None or parts.password is not None:
        raise FetchRefused(_("Remove the user name or password from the address: Organizer never sends any."))
    try:
        host = hostname.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise FetchRefused(_("That doesn't look like a web address.")) from None
    if not host:
        raise FetchRefused(_("That doesn't look like a web address."))
    port = port if port is not None else (443 if parts.scheme == "https" else 80)
    _ip_literal(host)  # refuses odd numeric spellings before any lookup
    # With test addresses allowed, the port is checked once the addresses are known (vetted_address).
    if port not in ALLOWED_PORTS and not policy.allowed_test_addresses:
        raise _refused_port()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path)


def _refused_port() -> FetchRefused:
    return FetchRefused(_("Only addresses on the usual web ports (80 and 443) can be fetched."))


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address the host is written as, or None for a name. Odd numeric spellings are refused."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise FetchRefused(_("That doesn't look like a web address.")) from None
    if _ENDS_IN_NUMBER.search(host):
        if not _CANONICAL_IPV4.match(host):
            # 2852039166, 0251.0376.0251.0376, 0xa9.0xfe.0xa9.0xfe, 169.254.43518: all 169.254.169.254.
            raise _refused_address()
        return ipaddress.IPv4Address(host)
    return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Rule 2 for one address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return False
        if address.ipv4_mapped is not None or address.sixtofour is not None or address.teredo is not None:
            return False
        if any(address in network for network in _EMBEDDING_V4):
            return False
    return bool(address.is_global) and not (address.is_multicast or address.is_unspecified or address.is_loopback
                                             or address.is_link_local or address.is_private or address.is_reserved)


def vetted_address(target: Target, policy: FetchPolicy, deadline: float) -> str:
    """Rule 2 after resolution: every address public (or an allowed test address). Returns the one to connect to."""
    literal = _ip_literal(target.host)
    addresses = [literal] if literal is not None else _resolve(target.host, target.port, deadline)
    if not addresses:
        raise FetchRefused(_("No server answers to that address. Check it for typos."))
    for address in addresses:
        if str(address) in policy.allowed_test_addresses:
            continue
        if not is_public(address):
            raise _refused_address()
    if target.port not in ALLOWED_PORTS and not all(str(address) in policy.allowed_test_addresses
                                                    for address in addresses):
        raise _refused_port()
    return str(addresses[0])


def _resolve(host: str, port: int, deadline: float) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    # getaddrinfo has no timeout of its own: it runs in a thread and we stop waiting at the deadline.
    result: list = []

    def lookup() -> None:
        with contextlib.suppress(OSError, UnicodeError):
            result.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        raise FetchRefused(_("The site took too long to answer. Try again later, or fill in the fields by hand."))
    addresses = []
    for _family, _type, _proto, _name, sockaddr in result:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class _Watchdog:
    """Closes the connection's socket at the deadline, whatever the client is waiting for then."""

    def __init__(self, deadline: float) -> None:
        self.sockets: list[socket.socket] = []
        self.fired = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _connection_classes(watchdog: _Watchdog) -> tuple[type[HTTPConnection], type[HTTPSConnection]]:
    class WatchedHTTPConnection(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watchdog.sockets.append(self.sock)

    class WatchedHTTPSConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            watchdog.sockets.append(self.sock)

    return WatchedHTTPConnection, WatchedHTTPSConnection


def fetch_page(url: str, policy: FetchPolicy | None = None) -> FetchedPage:
    """The HTML page at ``url``, fetched under every rule in this module's docstring."""
    policy = policy or FetchPolicy()
    deadline = time.monotonic() + policy.timeout
    watchdog = _Watchdog(deadline)
    try:
        return _fetch(url, policy, deadline, watchdog)
    except (HTTPError, OSError, ssl.SSLError):
        if watchdog.fired or time.monotonic() >= deadline:
            raise _too_slow() from None
        raise FetchRefused(_("The site could not be reached. Check the address, or fill in the fields by hand.")) \
            from None
    finally:
        watchdog.cancel()


def _too_slow() -> FetchRefused:
    return FetchRefused(_("The site took too long to answer. Try again later, or fill in the fields by hand."))


def _fetch(url: str, policy: FetchPolicy, deadline: float, watchdog: _Watchdog) -> FetchedPage:
    http_class, https_class = _connection_classes(watchdog)
    for _hop in range(policy.max_redirects + 1):
        target = parse_target(url, policy)
        address = vetted_address(target, policy, deadline)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _too_slow()
        timeout = urllib3.Timeout(connect=remaining, read=remaining)
        pool: urllib3.HTTPConnectionPool
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address, target.port, timeout=timeout, retries=False, maxsize=1,
                server_hostname=target.host, assert_hostname=target.host,
                ssl_context=ssl.create_default_context(), cert_reqs="CERT_REQUIRED")
            pool.ConnectionCls = https_class
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False, maxsize=1)
            pool.ConnectionCls = http_class
        with pool:
            response = pool.urlopen(
                "GET", target.path, redirect=False, preload_content=False, assert_same_host=False,
                headers={"Host": target.host_header, "User-Agent": USER_AGENT,
                         "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                         "Accept-Encoding": "gzip, deflate", "Connection": "close"},
            )
            try:
                if response.status in _REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchRefused(_("The site answered with a redirect to nowhere."))
                    url = urljoin(url, location)
                    continue
                if response.status != 200:
                    raise FetchRefused(_("The site answered “%(status)s” for that address. Check it, or fill in "
                                         "the fields by hand.", status=response.status))
                content_type = response.headers.get("Content-Type", "")
                if content_type and not content_type.split(";")[0].strip().lower().startswith(_HTML_TYPES):
                    raise FetchRefused(_("That address is not a web page (it is a file of another kind)."))
                body, truncated = _read_limited(response, policy.max_bytes, deadline)
            finally:
                response.release_conn()
                response.close()
        _encoding, html = html_to_unicode(content_type or None, body)
        return FetchedPage(url=url, html=html, truncated=truncated)
    raise FetchRefused(_("The address redirects too many times (more than %(max)d).", max=policy.max_redirects))


def _read_limited(response, max_bytes: int, deadline: float) -> tuple[bytes, bool]:
    """At most ``max_bytes`` of the (decompressed) body, read in pieces as they come, until the deadline."""
    declared = response.headers.get("Content-Length", "")
    chunks: list[bytes] = []
    size = 0
    truncated = declared.isdigit() and int(declared) > max_bytes
    while size < max_bytes:
        if time.monotonic() >= deadline:
            raise _too_slow()
        chunk = response.read1(min(65_536, max_bytes - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    else:
        truncated = True
    if time.monotonic() >= deadline:  # the watchdog closed the socket: what was read may be cut anywhere
        raise _too_slow()
    return b"".join(chunks)[:max_bytes], truncated
