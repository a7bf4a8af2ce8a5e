"""One meeting in two languages (issue 11.7): an event's title and description in a second language;
the public page shows the visitor's language first and offers the other; emails use the supporter's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Event, OutboxMessage
from organizer.services.common.errors import ValidationFailed
from organizer.services.events import events as event_service
from organizer.services.rsvp import rsvps
from tests import builders
from tests.views.test_events import event_data

ARABIC_TITLE = "مانشستر تقف مع سوريا"
ARABIC_TEXT = "تعالوا واسمعوا متحدثين من حمص."


@pytest.fixture
def bilingual(campaign):
    return builders.make_event(campaign, slug="manchester", title="Manchester stands with Syria",
                               description="Come and hear speakers from Homs.", language="en",
                               second_language="ar", second_title=ARABIC_TITLE, second_description=ARABIC_TEXT)


def test_organizers_write_the_second_version_in_the_event_form(client, login, owner, campaign, no_csrf):
    login(owner)
    html = client.get(f"/manage/c/{campaign.slug}/events/new").get_data(as_text=True)
    assert 'name="second_language"' in html and 'name="second_title"' in html and 'name="language"' in html
    response = client.post(f"/manage/c/{campaign.slug}/events/new", data=event_data(
        language="en", second_language="ar", second_title=ARABIC_TITLE, second_description=ARABIC_TEXT))
    assert response.status_code == 303
    event = db.session.scalar(select(Event))
    assert (event.language, event.second_language, event.second_title) == ("en", "ar", ARABIC_TITLE)
    # A second language without its title is refused, next to the field.
    response = client.post(f"/manage/e/{event.id}/edit", data=event_data(language="en", second_language="ar",
                                                                         second_title=""))
    assert response.status_code == 400
    assert "Give the title in the second language too." in response.get_data(as_text=True)


@pytest.mark.parametrize("data, field", [
    ({"second_language": "en"}, "second_language"),
    ({"second_language": "ar", "second_title": ""}, "second_title"),
    ({"second_language": "x'); drop"}, "second_language"),
])
def test_the_second_language_is_checked(owner, bilingual, data, field):
    values = event_service.event_input_from(bilingual)
    for key, value in data.items():
        setattr(values, key, value)
    with pytest.raises(ValidationFailed) as caught:
        event_service.update_event(owner, bilingual, values)
    assert caught.value.field == field
    db.session.rollback()


def test_the_public_page_shows_the_visitors_language_first_and_offers_the_other(client, bilingual):
    english = client.get("/e/manchester", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<h1 lang="en" dir="auto"><bdi>Manchester stands with Syria</bdi></h1>' in english
    assert "Also in العربية" in english
    assert f'<div lang="ar" dir="auto">\n          <h3><bdi>{ARABIC_TITLE}</bdi></h3>' in english
    assert english.index("Come and hear speakers") < english.index(ARABIC_TEXT)

    arabic = client.get("/e/manchester", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert f'<h1 lang="ar" dir="auto"><bdi>{ARABIC_TITLE}</bdi></h1>' in arabic
    assert arabic.index(ARABIC_TEXT) < arabic.index("Come and hear speakers")
    assert "متوفّرة أيضًا بلغة: English" in arabic  # "Also in English", from the Arabic catalog


def test_an_event_in_one_language_shows_no_offer(client, campaign):
    builders.make_event(campaign, slug="single", title="Only English")
    page = client.get("/e/single", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "Also in" not in page and "متوفّرة أيضًا" not in page and "Only English" in page


def test_emails_use_the_supporters_language_version(bilingual):
    rsvps.create_rsvp(bilingual, name="Rasha", email="rasha@example.org", locale="ar")
    rsvps.create_rsvp(bilingual, name="Emma", email="emma@example.org", locale="en_GB")
    db.session.commit()
    rasha = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "rasha@example.org"))
    emma = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "emma@example.org"))
    assert rasha.subject.endswith(ARABIC_TITLE)
    assert emma.subject.endswith("Manchester stands with Syria")
    from tests.mailbox import as_sent

    assert f"\u2068{ARABIC_TITLE}\u2069" in as_sent(rasha).body_text
