"""The SSRF guard of "Fill from link" (services/coverage/safefetch.py): every class of forbidden target,
directly and behind a redirect from an allowed server, the limits, and no second DNS lookup."""

from __future__ import annotations

import socket
import time
from urllib.parse import quote

import pytest

from organizer.services.coverage import safefetch
from organizer.services.coverage.safefetch import FetchPolicy, FetchRefused, fetch_page
from tests.pageserver import page_server

TEST_POLICY = FetchPolicy(allowed_test_addresses=frozenset({"127.0.0.1"}))

# name -> what a (fake) resolver answers, for the classes that need a name rather than a literal.
FAKE_DNS = {
    "private-name.test": ["10.1.2.3"],
    "metadata-name.test": ["169.254.169.254"],
    "mixed.test": ["93.184.216.34", "192.168.0.10"],
    "public.test": ["93.184.216.34"],
    "v6-ula-name.test": ["fd00::5"],
}

REFUSED = [
    # loopback (127.0.0.1 itself is the allowed test server: any other loopback address is refused)
    ("loopback", "http://127.0.0.2/"),
    ("loopback", "http://127.255.255.254/admin"),
    ("loopback", "http://[::1]/"),
    # private
    ("private", "http://10.0.0.1/"),
    ("private", "http://172.16.5.4/"),
    ("private", "https://192.168.1.1/"),
    ("private", "http://private-name.test/"),
    # link-local, with the cloud metadata service
    ("link-local", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
    ("link-local", "http://metadata-name.test/"),
    ("link-local", "http://[fe80::1]/"),
    # carrier-grade NAT
    ("cgnat", "http://100.64.0.1/"),
    ("cgnat", "http://100.127.255.254/"),
    # multicast
    ("multicast", "http://224.0.0.1/"),
    ("multicast", "http://239.255.255.250/"),
    ("multicast", "http://[ff02::1]/"),
    # unspecified
    ("unspecified", "http://0.0.0.0/"),
    ("unspecified", "http://[::]/"),
    # IPv6 unique-local
    ("ula", "http://[fd12:3456:789a::1]/"),
    ("ula", "http://[fc00::1]/"),
    ("ula", "http://v6-ula-name.test/"),
    # IPv4-mapped and other IPv6 forms that carry an IPv4 address
    ("v4-mapped", "http://[::ffff:127.0.0.1]/"),
    ("v4-mapped", "http://[::ffff:a9fe:a9fe]/"),
    ("v4-mapped", "http://[::ffff:10.0.0.1]/"),
    ("nat64", "http://[64:ff9b::a9fe:a9fe]/"),
    ("6to4", "http://[2002:a9fe:a9fe::]/"),
    # numeric spellings of 169.254.169.254 and 127.0.0.1
    ("decimal", "http://2852039166/"),
    ("octal", "http://0251.0376.0251.0376/"),
    ("hex", "http://0xa9fea9fe/"),
    ("hex", "http://0xa9.0xfe.0xa9.0xfe/"),
    ("short", "http://169.254.43518/"),
    ("octal", "http://017700000001/"),
    ("decimal", "http://2130706433/"),
    ("trailing dot", "http://2852039166./"),
    # one public and one private answer: refused
    ("mixed answers", "http://mixed.test/"),
    # ports, schemes, credentials
    ("port", "http://public.test:8080/"),
    ("port", "http://public.test:22/"),
    ("scheme", "ftp://public.test/file"),
    ("scheme", "file:///etc/passwd"),
    ("scheme", "gopher://public.test:70/"),
    ("credentials", "http://user:secret@public.test/"),
]


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    """Names ending in .test resolve from FAKE_DNS (no network in tests); anything else as usual."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        if isinstance(host, str) and host.endswith(".test"):
            answers = FAKE_DNS.get(host)
            if answers is None:
                raise socket.gaierror(socket.EAI_NONAME, "unknown")
            return [((socket.AF_INET6 if ":" in ip else socket.AF_INET), socket.SOCK_STREAM, 6, "",
                     (ip, port, 0, 0) if ":" in ip else (ip, port)) for ip in answers]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


@pytest.fixture(scope="module")
def server():
    with page_server() as url:
        yield url


@pytest.mark.parametrize(("kind", "url"), REFUSED, ids=[f"{kind}:{url}" for kind, url in REFUSED])
def test_refused_directly(kind, url):
    with pytest.raises(FetchRefused) as caught:
        fetch_page(url, TEST_POLICY)
    assert caught.value.field == "url" and caught.value.message


@pytest.mark.parametrize(("kind", "url"), REFUSED, ids=[f"{kind}:{url}" for kind, url in REFUSED])
def test_refused_behind_a_redirect_from_an_allowed_server(server, kind, url):
    # The allowed server answers (the control below proves it), then points at the forbidden target.
    with pytest.raises(FetchRefused):
        fetch_page(f"{server}/redirect?to={quote(url, safe='')}", TEST_POLICY)


def test_control_the_allowed_server_redirecting_to_an_allowed_page_is_followed(server):
    page = fetch_page(f"{server}/redirect?to={quote(server + '/article', safe='')}", TEST_POLICY)
    assert page.url == f"{server}/article" and "Homs" in page.html


def test_the_local_server_is_refused_without_the_test_setting(server):
    with pytest.raises(FetchRefused):
        fetch_page(f"{server}/article")
    with pytest.raises(FetchRefused):
        fetch_page(f"{server}/article", FetchPolicy(allowed_test_addresses=frozenset({"127.0.0.9"})))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "2a00:1450:4009:81d::200e"])
def test_public_addresses_pass(address):
    import ipaddress
    assert safefetch.is_public(ipaddress.ip_address(address))


def test_at_most_five_redirects(server):
    assert "Homs" in fetch_page(f"{server}/chain?n=4", TEST_POLICY).html  # 5 redirects
    with pytest.raises(FetchRefused, match="redirects too many times"):
        fetch_page(f"{server}/chain?n=5", TEST_POLICY)  # 6


def test_connects_to_the_checked_address_without_a_second_lookup(server, fake_dns, monkeypatch):
    """DNS rebinding: the name answers 127.0.0.1 (allowed here) when checked, then a private address.
    The guard never asks again: it connects to what it checked, and keeps the name in the Host header."""
    answers = iter([["127.0.0.1"]])
    monkeypatch.setitem(FAKE_DNS, "rebind.test", ["10.0.0.1"])
    real_lookup = socket.getaddrinfo

    def first_safe_then_private(host, port, *args, **kwargs):
        if host == "rebind.test":
            FAKE_DNS["rebind.test"] = next(answers, ["10.0.0.1"])
        return real_lookup(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", first_safe_then_private)
    port = server.rsplit(":", 1)[1]
    page = fetch_page(f"http://rebind.test:{port}/article", TEST_POLICY)
    assert "Homs" in page.html
    assert fake_dns.count("rebind.test") == 1
    from tests.pageserver import _Handler
    assert _Handler.seen_headers[-1]["Host"] == f"rebind.test:{port}"


def test_sends_no_cookies_or_credentials(server):
    from tests.pageserver import _Handler
    fetch_page(f"{server}/article", TEST_POLICY)
    sent = {name.lower() for name in _Handler.seen_headers[-1]}
    assert not sent & {"cookie", "authorization", "referer", "proxy-authorization"}


def test_a_server_that_says_nothing_is_cut_off(server):
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="too long"):
        fetch_page(f"{server}/slow", FetchPolicy(timeout=1.0, allowed_test_addresses=frozenset({"127.0.0.1"})))
    assert time.monotonic() - started < 2.0


def test_a_dripping_server_is_cut_off_at_five_seconds_in_all(server):
    """Each byte comes quickly, so only a deadline for the whole fetch stops it: the default 5 s."""
    assert safefetch.TIMEOUT_SECONDS == 5.0
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="too long"):
        fetch_page(f"{server}/drip", TEST_POLICY)
    assert 4.5 < time.monotonic() - started < 6.5


def test_a_huge_page_is_read_up_to_two_megabytes(server):
    assert safefetch.MAX_BYTES == 2 * 1024 * 1024
    started = time.monotonic()
    page = fetch_page(f"{server}/huge", TEST_POLICY)
    assert page.truncated
    assert len(page.html.encode("utf-8")) <= safefetch.MAX_BYTES
    assert time.monotonic() - started < 5


def test_only_web_pages_are_read(server):
    with pytest.raises(FetchRefused, match="not a web page"):
        fetch_page(f"{server}/image", TEST_POLICY)


def test_an_error_status_is_a_clear_refusal(server):
    with pytest.raises(FetchRefused, match="404"):
        fetch_page(f"{server}/missing", TEST_POLICY)


def test_an_unknown_name_is_a_clear_refusal():
    with pytest.raises(FetchRefused, match="No server answers"):
        fetch_page("https://nowhere.test/article", TEST_POLICY)


# --- https: the connection goes to the checked address, the name stays for SNI and the certificate ----

@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An https server on 127.0.0.1 with a certificate for tls.test from a CA of its own; it records the
    name each client asked for in TLS (SNI)."""
    import shutil
    import ssl
    import subprocess
    import threading
    from http.server import ThreadingHTTPServer

    from tests.pageserver import _Handler

    if shutil.which("openssl") is None:
        pytest.skip("openssl (Debian package openssl) is needed to make the test certificates")
    folder = tmp_path_factory.mktemp("tls")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Organizer test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=tls.test")
    (folder / "san.ext").write_text("subjectAltName=DNS:tls.test\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"port": server.server_port, "ca": str(folder / "ca.pem"), "names": names}
    server.shutdown()
    server.server_close()


@pytest.fixture
def trust_test_ca(tls_server, monkeypatch):
    import ssl
    real = ssl.create_default_context
    monkeypatch.setattr(safefetch.ssl, "create_default_context", lambda *a, **k: real(cafile=tls_server["ca"]))


def test_https_connects_to_the_checked_address_with_the_name_for_sni_and_the_certificate(
        tls_server, trust_test_ca, fake_dns, monkeypatch):
    from tests.pageserver import _Handler
    monkeypatch.setitem(FAKE_DNS, "tls.test", ["127.0.0.1"])
    page = fetch_page(f"https://tls.test:{tls_server['port']}/article", TEST_POLICY)
    assert "Homs" in page.html
    assert tls_server["names"][-1] == "tls.test"  # SNI carries the name, though we connected to 127.0.0.1
    assert _Handler.seen_headers[-1]["Host"] == f"tls.test:{tls_server['port']}"
    assert fake_dns.count("tls.test") == 1


def test_https_checks_the_certificate_against_the_name_not_the_address(tls_server, trust_test_ca, monkeypatch):
    # Same server and address, another name: its certificate is not for that name, so nothing is read.
    monkeypatch.setitem(FAKE_DNS, "other.test", ["127.0.0.1"])
    with pytest.raises(FetchRefused, match="could not be reached"):
        fetch_page(f"https://other.test:{tls_server['port']}/article", TEST_POLICY)
    assert tls_server["names"][-1] == "other.test"
