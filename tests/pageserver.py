"""A local web server for "Fill from link" tests: a real article page (the seed article, with OpenGraph
and JSON-LD as news sites write them), redirects to anywhere, a slow, a dripping and a huge response.

It listens on 127.0.0.1, which the SSRF guard refuses unless LINK_FETCH_TEST_ADDRESSES allows it."""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SEED = Path(__file__).parent / "data" / "socialist-worker-2293-syrians-defy-assault-on-homs.txt"
HEADLINE = "Syrians defy assault on Homs"
OUTLET = "Socialist Worker"
AUTHOR = "Simon Assaf"
PUBLISHED = "2012-03-03"
EXCERPT = "Mass executions, families butchered in their homes, checkpoints and disappearances."
HUGE_BYTES = 8 * 1024 * 1024


def article_html() -> str:
    paragraphs = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    body = "\n".join(f"<p>{html.escape(text)}</p>" for text in paragraphs[4:])
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "Socialist Worker", "url": "https://socialistworker.co.uk/"},
            {"@type": "NewsArticle", "headline": HEADLINE, "datePublished": f"{PUBLISHED}T00:00:00+00:00",
             "author": [{"@type": "Person", "name": AUTHOR}],
             "publisher": {"@type": "Organization", "name": OUTLET},
             "description": EXCERPT, "inLanguage": "en-GB"},
        ],
    }
    return f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{HEADLINE} | {OUTLET}</title>
<meta name="description" content="{html.escape(EXCERPT)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{OUTLET}">
<meta property="og:title" content="{HEADLINE}">
<meta property="og:description" content="{html.escape(EXCERPT)}">
<meta property="article:published_time" content="{PUBLISHED}T00:00:00Z">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head>
<body><article><h1>{HEADLINE}</h1><p class="byline">by {AUTHOR} · Issue No. 2293</p>{body}</article></body>
</html>"""


ARABIC_ARTICLE = """<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<meta property="og:title" content="السوريون يتحدون الهجوم على حمص">
<meta property="og:site_name" content="العامل الاشتراكي">
<meta name="author" content="سيمون عساف">
<meta property="article:published_time" content="2012-03-03">
<meta name="description" content="إعدامات جماعية وحواجز واختفاءات."></head><body></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server_version = "TestPages/1"
    seen_headers: list = []  # noqa: RUF012 - shared by design: tests read what was sent

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, body: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        type(self).seen_headers.append(dict(self.headers))
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/article":
            self._send(article_html().encode("utf-8"))
        elif parts.path == "/arabic":
            self._send(ARABIC_ARTICLE.encode("utf-8"))
        elif parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", query["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path == "/chain":
            left = int(query["n"][0])
            self.send_response(302)
            self.send_header("Location", f"/chain?n={left - 1}" if left > 0 else "/article")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path == "/slow":  # says nothing for 20 seconds
            time.sleep(20)
            self._send(article_html().encode("utf-8"))
        elif parts.path == "/drip":  # a byte every 0.2 s: each read is quick, the whole never ends
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
        elif parts.path == "/huge":  # no Content-Length, far more than 2 MB
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_530 + b"</p>"
            try:
                for _ in range(HUGE_BYTES // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif parts.path == "/image":
            self._send(b"\x89PNG\r\n\x1a\n", "image/png")
        else:
            self._send(b"<h1>Not here</h1>", status=404)


@contextmanager
def page_server() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` serving the pages above, for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
