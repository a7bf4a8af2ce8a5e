"""Every page goes through gettext and carries its text direction, so Arabic needs no template changes."""

from tests.conftest import make_test_app


def test_right_to_left_locale_sets_dir_attribute(database_url):
    app = make_test_app(database_url, LANGUAGES=["en", "ar"])
    response = app.test_client().get("/healthz-does-not-exist", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    assert b'dir="rtl"' in response.data
    assert b'lang="ar"' in response.data


def test_left_to_right_by_default(client):
    response = client.get("/healthz-does-not-exist", headers={"Accept-Language": "ar"})
    assert b'dir="ltr"' in response.data
    assert b'lang="en"' in response.data
