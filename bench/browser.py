"""Just enough of a browser for the bench: a cookie jar, no redirects followed, and HTML forms read
from the page the way a person's browser would submit them."""

from __future__ import annotations

import http.client
import http.cookies
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    text_inputs: list[str] = field(default_factory=list)  # names of visible text-like inputs

    def posts_to(self, page_path: str) -> str:
        """Where the browser sends it: the page itself when the action is empty or only a fragment."""
        return self.action if self.action and not self.action.startswith("#") else page_path

    def values(self, **overrides: str | list[str]) -> list[tuple[str, str]]:
        """The fields as submitted, with some replaced (a list value sends the name once per item)."""
        seen = set()
        result = []

        def put(name):
            value = overrides[name]
            for item in value if isinstance(value, list) else [value]:
                result.append((name, item))

        for name, value in self.fields:
            if name in overrides:
                if name not in seen:
                    put(name)
                seen.add(name)
            else:
                result.append((name, value))
        for name in overrides:
            if name not in seen:
                put(name)
        return result

    def encode(self, **overrides: str | list[str]) -> str:
        return urlencode(self.values(**overrides))


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: (value or "") for key, value in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            name = a["name"]
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind == "checkbox":
                if "checked" in a:
                    self._form.fields.append((name, a.get("value", "on")))
                return
            if kind == "radio":  # the checked option, else the first one
                if "checked" in a:
                    self._form.fields = [(n, v) for n, v in self._form.fields if n != name]
                    self._form.fields.append((name, a.get("value", "on")))
                elif not any(n == name for n, _ in self._form.fields):
                    self._form.fields.append((name, a.get("value", "on")))
                return
            self._form.fields.append((name, a.get("value", "")))
            if kind in {"text", "email", "tel", "search", "number", "url"}:
                self._form.text_inputs.append(name)
        elif tag == "textarea" and a.get("name"):
            self._form.fields.append((a["name"], ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._select_value = None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_value is None or "selected" in a:
                self._select_value = value

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self._form is not None:
            self._form.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "form":
            self._form = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html: str, action_contains: str, method: str = "post", *, same_page: bool = False) -> Form:
    """The first form posting to an action containing ``action_contains`` (or, with ``same_page``,
    one without an action: it posts to the page it is on)."""
    for form in forms(html):
        posts_here = not form.action or form.action.startswith("#")
        if form.method == method and (action_contains in form.action or (same_page and posts_here)):
            return form
    raise LookupError(f"no {method.upper()} form with an action containing {action_contains!r} on the page")


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


class Browser:
    """One visitor: keeps cookies, sends requests only to the base URL's host (127.0.0.1)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError("the bench only talks to the loopback interface")
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None,
                timeout: float = 120) -> Response:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            all_headers = dict(headers or {})
            if self.cookies:
                all_headers["Cookie"] = self.cookie_header
            if body is not None:
                all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            connection.request(method, path, body=body.encode() if body is not None else None, headers=all_headers)
            raw = connection.getresponse()
            data = raw.read()
            for header in raw.headers.get_all("Set-Cookie") or []:
                cookie = http.cookies.SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return Response(raw.status, raw.headers, data)
        finally:
            connection.close()

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: str, **kwargs) -> Response:
        return self.request("POST", path, body=body, **kwargs)

    def follow(self, response: Response, limit: int = 5) -> Response:
        while response.status in {301, 302, 303, 307, 308} and limit > 0:
            target = urlsplit(urljoin(self.base_url + "/", response.location or "/"))
            response = self.get(target.path + (f"?{target.query}" if target.query else ""))
            limit -= 1
        return response
