"""A supporter on a phone: RSVP from the event page, open the private link, cancel; and a waitlisted
supporter who is promoted when someone cancels, with a working link in the promotion email."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import OutboxMessage, QuestionKind, Rsvp, RsvpStatus
from organizer.timeutil import to_local
from tests import builders
from tests.mailbox import as_sent, last_link


def open_event(page: Page, slug: str) -> None:
    page.goto(f"/e/{slug}")
    expect(page.get_by_role("heading", name="RSVP")).to_be_visible()


def fill_rsvp(page: Page, name: str, email: str = "") -> None:
    page.get_by_label("Your name").fill(name)
    if email:
        page.get_by_label("Email (optional)").fill(email)


def test_rsvp_open_the_private_link_and_cancel(phone: Page, base_url):
    campaign = builders.make_campaign(owner=builders.make_user())
    event = builders.make_event(campaign, slug="homs-vigil", title="Vigil for Homs", capacity=40, max_guests=2)
    builders.make_question(event, label="Do you need step-free access?", kind=QuestionKind.YES_NO)

    open_event(phone, "homs-vigil")
    # Above the fold on a phone: title, time with its zone, place, places left, the form.
    zone = to_local(event.starts_at, event.timezone).tzname()  # GMT or BST, as the day of the run falls
    for text in ("Vigil for Homs", zone, "London Muslim Centre", "40 places left"):
        expect(phone.get_by_text(text, exact=False).first).to_be_in_viewport()
    expect(phone.get_by_label("Your name")).to_be_visible()

    # A mistake first: the error sits next to the field and what was typed stays.
    fill_rsvp(phone, "", "amina@")
    phone.get_by_role("button", name="RSVP").click()
    expect(phone.locator("#name-error")).to_contain_text("Tell us your name")
    expect(phone.locator("#email-error")).to_contain_text("Enter an email address like")
    expect(phone.get_by_label("Email (optional)")).to_have_value("amina@")

    fill_rsvp(phone, "Amina", "")
    phone.get_by_label("Email (optional)").fill("")
    phone.get_by_label("Are you bringing anyone?").select_option("1")
    phone.get_by_text("Yes", exact=True).click()
    phone.get_by_role("button", name="RSVP").click()

    expect(phone.get_by_text("You're going!")).to_be_visible()
    expect(phone.locator(".rsvp-status")).to_have_text(re.compile(r"Going, with 1 guest"))
    private_link = phone.locator("#manage-url").input_value()
    assert re.fullmatch(rf"{re.escape('http://localhost')}/r/[A-Za-z0-9_-]{{43}}", private_link)
    expect(phone.locator("#ticket svg")).to_be_visible()

    # Later, from the saved link (the test server listens on another port than BASE_URL).
    phone.goto(private_link.replace("http://localhost", base_url))
    expect(phone.get_by_text("Keep this link:")).to_be_visible()
    phone.get_by_role("link", name="Cancel my RSVP").click()
    expect(phone.get_by_role("heading", name="Cancel your RSVP?")).to_be_visible()
    assert db.session.scalar(select(Rsvp.status)) is RsvpStatus.GOING  # looking at the page changes nothing
    phone.get_by_role("button", name="Yes, cancel my RSVP").click()
    expect(phone.locator(".rsvp-status")).to_have_text(re.compile("Cancelled"))
    db.session.expire_all()
    assert db.session.scalar(select(Rsvp.status)) is RsvpStatus.CANCELLED


def test_waitlisted_supporter_is_promoted_when_someone_cancels(phone: Page, browser, base_url):
    campaign = builders.make_campaign(owner=builders.make_user())
    builders.make_event(campaign, slug="one-seat", title="Briefing", capacity=1)

    # Amina takes the only place (no email: she keeps the link shown to her).
    open_event(phone, "one-seat")
    fill_rsvp(phone, "Amina")
    phone.get_by_role("button", name="RSVP").click()
    expect(phone.locator(".rsvp-status")).to_have_text(re.compile("Going"))
    amina_link = phone.locator("#manage-url").input_value().replace("http://localhost", base_url)

    # Bilal, on his own phone, finds it full and joins the waitlist with his email.
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True)
    bilal = context.new_page()
    try:
        open_event(bilal, "one-seat")
        expect(bilal.get_by_text("Full — waiting list open")).to_be_visible()
        fill_rsvp(bilal, "Bilal", "bilal@example.org")
        bilal.get_by_role("button", name="Join the waitlist").click()
        expect(bilal.get_by_text("You're on the waitlist — position 1.")).to_be_visible()
        expect(bilal.get_by_text("We've emailed your private link to bilal@example.org")).to_be_visible()

        # Amina can't come after all.
        phone.goto(amina_link + "/cancel")
        phone.get_by_role("button", name="Yes, cancel my RSVP").click()
        expect(phone.locator(".rsvp-status")).to_have_text(re.compile("Cancelled"))

        # Promoted, Bilal keeps the link from his first email: it now shows his ticket. The promotion
        # email offers a new link only if he lost that one (issue 16: a promotion never kills a link).
        db.session.expire_all()
        emails = [as_sent(message) for message in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "bilal@example.org").order_by(OutboxMessage.id))]
        promotion = emails[-1]
        assert promotion.subject == "A place opened up — you're going: Briefing"
        assert "/r/new-link/" in promotion.body_text
        link = re.search(r"http://localhost/r/[A-Za-z0-9_-]+", emails[0].body_text).group(0)
        bilal.goto(link.replace("http://localhost", base_url))
        expect(bilal.locator(".rsvp-status")).to_have_text(re.compile("Going"))
        expect(bilal.locator("#ticket svg")).to_be_visible()
    finally:
        context.close()


def test_someone_else_using_my_address_leaves_my_link_working(phone: Page, base_url):
    campaign = builders.make_campaign(owner=builders.make_user())
    builders.make_event(campaign, slug="teach-in", title="Teach-in", capacity=40)

    open_event(phone, "teach-in")
    fill_rsvp(phone, "Amina", "amina@example.org")
    phone.get_by_role("button", name="RSVP").click()
    expect(phone.get_by_text("We've emailed your private link to amina@example.org")).to_be_visible()
    db.session.expire_all()
    amina_link = last_link("amina@example.org", "/r/").split("#")[0].replace("http://localhost", base_url)

    # Someone types Amina's address: they get the same neutral answer, Amina an email.
    open_event(phone, "teach-in")
    fill_rsvp(phone, "Not Amina", "amina@example.org")
    phone.get_by_role("button", name="RSVP").click()
    expect(phone.get_by_text("We've emailed your private link to amina@example.org")).to_be_visible()
    phone.goto(amina_link)
    expect(phone.locator(".rsvp-status")).to_have_text(re.compile("Going"))  # her saved link still works

    # Amina, who had lost her link, uses the email: a button press gives her a new one.
    db.session.expire_all()
    phone.goto(last_link("amina@example.org", "/r/new-link/").replace("http://localhost", base_url))
    expect(phone.get_by_role("heading", name="Get a new private link?")).to_be_visible()
    phone.get_by_role("button", name="Yes, give me a new link").click()
    expect(phone.get_by_text("This is your new private link.")).to_be_visible()
    expect(phone.locator("#ticket svg")).to_be_visible()
    phone.goto(amina_link)
    expect(phone.get_by_role("heading", name="This link doesn't work")).to_be_visible()


def test_a_phone_without_javascript_rsvps_with_one_more_press(browser, base_url):
    """The event page is the same for every visitor without a session, so it holds no CSRF token;
    without JavaScript to fetch one, the server keeps what was typed and asks for one more press."""
    campaign = builders.make_campaign(owner=builders.make_user())
    builders.make_event(campaign, slug="no-js", title="Vigil for Homs", capacity=40)
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        open_event(page, "no-js")
        fill_rsvp(page, "Amina Haddad", "amina@example.org")
        page.get_by_role("button", name="RSVP").click()
        expect(page.get_by_text("press the button again to send your RSVP")).to_be_visible()
        expect(page.get_by_label("Your name")).to_have_value("Amina Haddad")
        assert db.session.scalar(select(func.count(Rsvp.id))) == 0
        page.get_by_role("button", name="RSVP").click()
        expect(page.get_by_text("You're going!")).to_be_visible()
        db.session.expire_all()
        assert db.session.scalar(select(Rsvp.name)) == "Amina Haddad"
    finally:
        context.close()


def test_a_phone_without_javascript_that_loses_the_answer_and_reloads_gets_it_once(browser, base_url):
    """The server took the RSVP and died before answering: the proxy in front answers 502 instead. The phone
    shows that error page, and reloading it sends the same form again, with the key its page came with.
    The supporter gets their private link, and the campaign one RSVP."""
    campaign = builders.make_campaign(owner=builders.make_user())
    builders.make_event(campaign, slug="no-js-lost", title="Vigil for Homs", capacity=40)
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                  java_script_enabled=False)
    page = context.new_page()
    lost = []

    def lose_the_first_answer(route):
        if route.request.method == "POST" and "csrf_token=&" not in (route.request.post_data or "") and not lost:
            cookies = context.cookies()
            route.fetch(max_redirects=0)  # the server takes it...
            context.clear_cookies()  # (route.fetch shares the browser's cookies: none of the answer may arrive)
            context.add_cookies(cookies)
            lost.append(route.request.post_data)
            route.fulfill(status=502, body="502 Bad Gateway")  # ...and its answer never arrives
        else:
            route.continue_()

    try:
        open_event(page, "no-js-lost")
        fill_rsvp(page, "Amina Haddad")
        page.get_by_role("button", name="RSVP").click()
        expect(page.get_by_text("press the button again to send your RSVP")).to_be_visible()
        page.route("**/e/no-js-lost**", lose_the_first_answer)
        page.get_by_role("button", name="RSVP").click()
        expect(page.get_by_text("502 Bad Gateway")).to_be_visible()
        assert lost and "submission_key=" in lost[0] and "submission_key=&" not in lost[0]
        db.session.expire_all()
        assert db.session.scalar(select(func.count(Rsvp.id))) == 1
        page.reload()
        expect(page.get_by_text("You're going!")).to_be_visible()
        db.session.expire_all()
        assert db.session.scalar(select(func.count(Rsvp.id))) == 1
        assert page.url.split("?")[0].rsplit("/", 2)[-2] == "r"  # the private link, given again
    finally:
        context.close()
