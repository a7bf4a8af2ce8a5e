"""Pages, messages and emails in Arabic for a browser that asks for it (Accept-Language: ar): the compiled
catalog is found and used, and English stays English. The words come from the catalog, so a test here
fails when the .mo is missing or stale, when "ar" leaves LANGUAGES, or when a string bypasses gettext."""

from __future__ import annotations

import re

import pytest

from organizer.extensions import db
from tests import builders
from tests.conftest import make_test_app
from tests.mailbox import messages_to

ARABIC = {"Accept-Language": "ar"}
SYRIAN_BROWSER = {"Accept-Language": "ar-SY,ar;q=0.9,en;q=0.5"}


@pytest.fixture
def event(campaign):
    return builders.make_event(campaign, slug="homs", title="Solidarity with Homs", capacity=12, max_guests=2)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def rsvp_token(client, event) -> str:
    html = client.get(f"/e/{event.slug}", headers=ARABIC).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return match.group(1) if match else client.get("/csrf-token").get_json()["csrf_token"]


def test_the_event_page_is_in_arabic_with_its_rsvp_button(client, event):
    html = client.get("/e/homs", headers=SYRIAN_BROWSER).get_data(as_text=True)
    assert 'lang="ar"' in html and 'dir="rtl"' in html
    page = text_of(html)
    assert "أكِّد حضورك" in page  # the RSVP button
    assert "12 مكانًا متبقيًا" in page  # 11-99: the accusative singular, not the 3-10 plural
    assert "اسمك" in page and "هل ستُحضر أحدًا معك؟" in page
    assert "RSVP" not in page and "places left" not in page


def test_share_texts_follow_arabic_punctuation(client, event):
    html = client.get("/e/homs", headers=ARABIC).get_data(as_text=True)
    [whatsapp] = re.findall(r'href="(https://wa\.me/\?text=[^"]+)"', html)
    assert "%D8%8C%20" + event.city.replace(" ", "%20") in whatsapp  # "، London": the Arabic comma


def test_with_the_public_caches_on_each_visitor_gets_their_own_language(database_url, event):
    """Arabic is on by default now: a page cached for one language must never reach another."""
    app = make_test_app(database_url, PUBLIC_CACHE_SECONDS=60)
    visitor = app.test_client()  # a context of its own for each request, as in production
    try:
        for _ in range(2):  # the second round comes from the caches
            english = visitor.get("/e/homs", headers={"Accept-Language": "en"})
            arabic = visitor.get("/e/homs", headers=SYRIAN_BROWSER)
            assert "12 places left" in text_of(english.get_data(as_text=True))
            assert "12 مكانًا متبقيًا" in text_of(arabic.get_data(as_text=True))
        assert "Accept-Language" in arabic.headers["Vary"]
        assert arabic.headers.get("Age") is not None  # the second Arabic page was the cached one
    finally:
        with app.app_context():
            db.engine.dispose()  # psycopg warns about connections left open


def test_english_stays_english(client, event):
    page = text_of(client.get("/e/homs", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True))
    assert "12 places left" in page and "أكِّد" not in page


@pytest.mark.parametrize(("places", "words"), [
    (1, "مكان واحد متبقٍ"), (2, "مكانان متبقيان"), (7, "7 أماكن متبقية"), (100, "100 مكان متبقٍ"),
])
def test_places_left_take_the_arabic_plural_form_of_their_number(client, campaign, places, words):
    builders.make_event(campaign, slug=f"p{places}", capacity=places)
    assert words in text_of(client.get(f"/e/p{places}", headers=ARABIC).get_data(as_text=True))


def test_an_rsvp_in_arabic_gets_arabic_messages_and_an_arabic_email(client, event):
    response = client.post("/e/homs/rsvp", headers=ARABIC, data={
        "csrf_token": rsvp_token(client, event), "name": "محمد العلي", "email": "m@example.org", "guests": "1",
    })
    assert response.status_code == 303
    page = text_of(client.get(response.headers["Location"], headers=ARABIC).get_data(as_text=True))
    assert "ستحضر!" in page  # the flash message
    [mail] = messages_to("m@example.org")
    assert mail.subject == "ستحضر: Solidarity with Homs"
    # Names and titles stand between isolates (U+2068 ... U+2069) in text mails, so a Latin title
    # inside an Arabic sentence keeps its place.
    assert "مرحبًا \u2068محمد العلي\u2069،" in mail.body_text
    assert "ستحضر \u2068Solidarity with Homs\u2069 مع ضيف واحد." in mail.body_text
    assert "افتح تأكيد حضوري وتذكرتي" in mail.body_html
    assert "You're going" not in mail.body_text + mail.body_html


def test_form_errors_are_in_arabic(client, event):
    response = client.post("/e/homs/rsvp", headers=ARABIC, data={
        "csrf_token": rsvp_token(client, event), "name": "", "email": "not-an-address",
    })
    assert response.status_code == 400
    page = text_of(response.get_data(as_text=True))
    assert "صحِّح الحقول المميَّزة من فضلك." in page
    assert "أدخِل عنوان بريد إلكتروني مثل name@example.org." in page


def test_wtforms_own_messages_come_from_our_catalog(client, login, owner, campaign, no_csrf):
    """A value the field cannot even parse gets WTForms' own message, in the glossary's Arabic
    (WTForms' catalog would say "قيمة العدد الحقيقي غير صالحة.", a 'real number')."""
    login(owner)
    data = {"title": "Vigil", "starts_at": "2030-03-01T19:00", "ends_at": "2030-03-01T21:00",
            "timezone": "Europe/London", "capacity": "lots"}
    arabic = client.post(f"/manage/c/{campaign.slug}/events/new", headers=ARABIC, data=data)
    assert arabic.status_code == 400
    assert "أدخِل عددًا صحيحًا." in text_of(arabic.get_data(as_text=True))
    english = client.post(f"/manage/c/{campaign.slug}/events/new", data=data)
    assert "Not a valid integer value." in text_of(english.get_data(as_text=True))


def test_error_pages_are_in_arabic(client):
    response = client.get("/no-such-page", headers=ARABIC)
    assert response.status_code == 404
    page = text_of(response.get_data(as_text=True))
    assert "غير موجودة" in page and "اذهب إلى الصفحة الرئيسية" in page
    assert client.get("/no-such-page.json", headers=ARABIC).get_json()["error"] == "غير موجودة"


def test_the_organizer_screens_are_in_arabic(client, login, owner, campaign, event):
    login(owner)
    page = text_of(client.get(f"/manage/e/{event.id}", headers=ARABIC).get_data(as_text=True))
    assert "مؤكَّد (مع الضيوف)" in page and "روابط الباب" in page
    dashboard = text_of(client.get("/manage/", headers=ARABIC).get_data(as_text=True))
    assert "حملاتي" in dashboard and "فعالية قادمة واحدة" in dashboard


def test_the_date_blocks_name_the_month_in_the_page_language(client, campaign):
    builders.make_event(campaign, slug="december", title="December meeting", starts_at=builders.at(2030, 12, 13))
    db.session.commit()
    month = re.compile(r'class="date-block__month">([^<]*)<')
    assert month.findall(client.get("/", headers=ARABIC).get_data(as_text=True)) == ["ديسمبر"]
    assert month.findall(client.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)) == ["Dec"]


def test_the_venue_and_the_city_are_joined_by_the_arabic_comma(client, campaign):
    builders.make_event(campaign, slug="lmc", venue_name="London Muslim Centre", city="London")
    db.session.commit()
    assert "London Muslim Centre</bdi>، <bdi>London" in client.get("/", headers=ARABIC).get_data(as_text=True)
    assert "London Muslim Centre</bdi>, <bdi>London" in client.get("/").get_data(as_text=True)
