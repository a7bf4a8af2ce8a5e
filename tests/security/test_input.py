"""Input limits: oversized bodies get 413, broken UTF-8 and NUL bytes 400, impossible ids 404 — never 500."""

from __future__ import annotations

import pytest

from tests import builders

PATHS = ["/auth/login", "/auth/signup", "/auth/reset"]


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def test_oversized_body_gets_the_413_page(app, client):
    body = "email=" + "a" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/auth/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_oversized_multipart_upload_gets_413(app, client, monkeypatch):
    import io

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)  # small, so the test client keeps it in memory
    data = {"file": (io.BytesIO(b"x" * 5000), "big.csv")}
    response = client.post("/auth/login", data=data, content_type="multipart/form-data")
    assert response.status_code == 413


@pytest.mark.parametrize("query", [b"q=%FF%FE", b"q=%C0%AF", b"%FF=1", b"next=/%ED%A0%80"])
def test_broken_utf8_in_the_query_is_400(client, query):
    assert client.get("/auth/login?" + query.decode("ascii")).status_code == 400


@pytest.mark.parametrize("query", ["q=a%00b", "next=/manage%00", "a%00=1"])
def test_nul_in_the_query_is_400(client, query):
    assert client.get("/auth/login?" + query).status_code == 400


@pytest.mark.parametrize("body", [b"email=%FF%FE&password=x", b"email=a%00b&password=x", b"em%00ail=x&password=y",
                                  b"email=x&password=%C3%28"])
def test_broken_form_bodies_are_400(client, no_csrf, body):
    response = client.post("/auth/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


@pytest.mark.parametrize("body", [b"email=%FF%FE&password=x", b"email=a%00b&password=x"])
def test_broken_form_bodies_are_400_with_csrf_protection_on(client, body):
    """CSRF protection parses the form too; the raw bytes are still checked first."""
    from tests.security.helpers import csrf

    token = csrf(client).encode()
    response = client.post("/auth/login", data=b"csrf_token=" + token + b"&" + body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_nul_in_multipart_form_is_400(client, no_csrf):
    response = client.post("/auth/login", data={"email": "a\x00b", "password": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/auth/reset/%00", "/auth/reset/abc%00def", "/auth/reset/%FF%FE",
                                  "/auth/signup/confirm/%C0%AF", "/e/%00", "/c/%FF", "/r/%00"])
def test_nul_and_broken_utf8_in_path_segments_are_400(client, path):
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("body", [b'{"q": "a\\u0000b"}', b'{"a\\u0000": 1}', b'[["\\u0000"]]', b"{not json", b"\xff\xfe"])
def test_json_bodies_with_nul_or_garbage_are_400(client, no_csrf, body):
    response = client.post("/auth/login", data=body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("number", [2**31, 10**22, 10**199])
def test_impossible_integer_ids_are_404_not_500(app, client, login, number):
    """Every route with an <int:...> segment: a number no row can have is a plain 404 (or the usual
    sign-in redirect), on SQLite and PostgreSQL alike — never an overflow in the database driver."""
    login(builders.make_user(is_admin=True))
    adapter = app.url_map.bind("localhost")
    checked = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters  # werkzeug keeps them per argument name
        if not any(type(conv).__name__ == "IntegerConverter" for conv in converters.values()):
            continue
        values = {name: number if type(conv).__name__ == "IntegerConverter" else "x"
                  for name, conv in converters.items()}
        path = adapter.build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code in (302, 400, 404, 405), f"{method} {path}: {response.status_code}"
            checked.append(path)
    assert checked, "no route has an integer id"


def test_overlong_fields_are_form_errors_not_500(client, no_csrf):
    response = client.post("/auth/login", data={"email": "a" * 300 + "@example.org", "password": "x" * 5000})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # The email field says what is wrong, and what was typed is kept.
    assert 'id="email-error"' in html and 'value="' + "a" * 300 + '@example.org"' in html
    with client.session_transaction() as session:
        assert "_user_id" not in session
