"""A few raw HTTP(S) requests to 127.0.0.1, from a chosen loopback source address, with a chosen Host."""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from email.message import Message
from pathlib import Path


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(port: int, path: str, *, method: str = "GET", host: str, tls_ca: Path | None = None,
            source: str = "127.0.0.1", headers: dict[str, str] | None = None, body: bytes | None = None) -> Reply:
    """One request on a new connection; ``tls_ca`` makes it https, trusting only that certificate."""
    if tls_ca is not None:
        context = ssl.create_default_context(cafile=str(tls_ca))
        context.check_hostname = False  # we connect to 127.0.0.1; the chain is still verified
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, context=context, source_address=(source, 0), timeout=30)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0), timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, response.msg, response.read())
    finally:
        connection.close()
