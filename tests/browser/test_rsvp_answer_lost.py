"""A supporter presses RSVP, the server saves it, and the answer never reaches the phone (the node died,
the signal dropped): the phone shows nginx's 502 page. They go back and press again. The page's script
sends the same key with the same form, so they get the first answer (for an RSVP without an email, the
same private link) and the event still has one RSVP. A different person filling the form in next, on
the same phone, is a new RSVP."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Route, expect
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import OutboxMessage, Rsvp
from tests import builders

NGINX_502 = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"


def lose_the_first_answer(page: Page, path: str) -> list[str]:
    """The first RSVP POST reaches a node, which saves it and dies before answering: nginx in front
    answers 502 Bad Gateway. Returns where the lost answer would have taken the phone."""
    lost: list[str] = []

    def handle(route: Route) -> None:
        if route.request.method != "POST" or lost:
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        lost.append(answer.headers.get("location", ""))
        route.fulfill(status=502, content_type="text/html", body=NGINX_502)

    page.route(re.compile(rf".*{re.escape(path)}(\?.*)?$"), handle)
    return lost


def kept_keys(page: Page) -> int:
    return page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('rsvp-submission:')).length")


def rsvp_count(event_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.event_id == event_id))


def press_back_and_again(page: Page, slug: str, name: str, email: str = "", button: str = "RSVP") -> None:
    """What someone does on the error page: back to the event, the form as they left it, press again."""
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/e/{slug}$"))
    if page.get_by_label("Your name").input_value() != name:  # a browser that doesn't restore the form
        page.get_by_label("Your name").fill(name)
        if email:
            page.get_by_label("Email").fill(email)
    page.get_by_role("button", name=button).click()


def test_pressing_again_after_a_lost_answer_gives_the_same_private_link(phone: Page):
    campaign = builders.make_campaign(owner=builders.make_user())
    event = builders.make_event(campaign, slug="homs-vigil", title="Vigil for Homs", email_policy="not_asked")
    lost = lose_the_first_answer(phone, "/e/homs-vigil")

    phone.goto("/e/homs-vigil")
    phone.get_by_label("Your name").fill("أمينة حداد")
    phone.get_by_role("button", name="RSVP").click()
    expect(phone.get_by_text("502 Bad Gateway")).to_be_visible()
    assert lost and re.fullmatch(r"/r/[A-Za-z0-9_-]{43}", lost[0]), lost
    assert rsvp_count(event.id) == 1  # saved, though the phone never heard
    assert kept_keys(phone) == 1  # the tab keeps the key until an answer arrives

    press_back_and_again(phone, "homs-vigil", "أمينة حداد")
    expect(phone.get_by_text("You're going!")).to_be_visible()
    assert phone.locator("#manage-url").input_value().endswith(lost[0]), "a new link instead of the lost one"
    assert rsvp_count(event.id) == 1, "the same form was stored twice"
    phone.wait_for_function("() => !Object.keys(sessionStorage).some(k => k.startsWith('rsvp-submission:'))")

    # Then a friend RSVPs on the same phone: another form, another RSVP with a link of its own.
    phone.goto("/e/homs-vigil")
    phone.get_by_label("Your name").fill("Bilal")
    phone.get_by_role("button", name="RSVP").click()
    expect(phone.get_by_text("You're going!")).to_be_visible()
    assert not phone.locator("#manage-url").input_value().endswith(lost[0])
    assert rsvp_count(event.id) == 2


def test_with_an_email_the_retry_sends_no_second_email(phone: Page):
    campaign = builders.make_campaign(owner=builders.make_user())
    event = builders.make_event(campaign, slug="day-of-action", title="Day of action", capacity=1)
    builders.make_rsvp(event, name="Already going")
    db.session.commit()
    lost = lose_the_first_answer(phone, "/e/day-of-action")

    phone.goto("/e/day-of-action")
    phone.get_by_label("Your name").fill("Amina")
    phone.get_by_label("Email").fill("amina@example.org")
    phone.get_by_role("button", name="Join the waitlist").click()
    expect(phone.get_by_text("502 Bad Gateway")).to_be_visible()
    assert lost == ["/e/day-of-action/rsvp/thanks"]

    press_back_and_again(phone, "day-of-action", "Amina", "amina@example.org", button="Join the waitlist")
    expect(phone.get_by_text("You're on the waitlist — position 1.")).to_be_visible()
    expect(phone.get_by_text("We've emailed your private link to amina@example.org")).to_be_visible()
    assert rsvp_count(event.id) == 2  # the one already going, and Amina once
    assert db.session.scalar(select(func.count(OutboxMessage.id))
                             .where(OutboxMessage.to_address == "amina@example.org")) == 1
