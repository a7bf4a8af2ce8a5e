"""The reminder the day before, as a supporter and an organizer live it: "I can't make it" taken from the
mail in the test outbox → the confirmation page → the RSVP is cancelled and a waitlisted supporter gets the
place; "Yes, I'm coming" shows on the organizers' RSVP list. Screenshots of the new pages at phone and
desktop width, in English and Arabic, under test-artifacts/reminders/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import CoverageRelation, OutboxMessage, Rsvp, RsvpStatus
from organizer.services.door import checkins
from organizer.services.reminders import followups, reminders
from organizer.timeutil import utcnow
from tests import builders
from tests.browser.test_door_flow import fresh, sign_in
from tests.mailbox import all_messages, as_sent

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reminders"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def link_in_mail(address: str, words: str) -> str:
    """The path of the link on the line that starts with ``words`` in the reminder sent to ``address``."""
    fresh()
    message = as_sent(db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.to_address == address, OutboxMessage.renderer == reminders.REMINDER)))
    line = next(line for line in message.body_text.splitlines() if line.startswith(words))
    return urlsplit(re.search(r"https?://\S+", line).group(0)).path


def test_i_can_t_make_it_frees_the_place_and_yes_shows_on_the_list(phone: Page, desktop: Page):
    team = builders.make_team("organizer")
    start = (utcnow() + timedelta(hours=20)).replace(second=0, microsecond=0)
    event = builders.make_event(team["campaign"], title="Homs solidarity meeting", capacity=2, starts_at=start,
                                ends_at=start + timedelta(hours=2))
    earlier = utcnow() - timedelta(days=2)
    builders.make_rsvp(event, name="Amina Yusuf", email="amina@example.org", created_at=earlier)
    builders.make_rsvp(event, name="Bilal Haddad", email="bilal@example.org", created_at=earlier)
    builders.make_rsvp(event, name="Omar Saleh", email="omar@example.org", status=RsvpStatus.WAITLISTED,
                       created_at=earlier)
    assert reminders.run_due() == 2  # the worker loop's round: due 24 hours before, two going

    phone.goto(link_in_mail("amina@example.org", "I can't make it"))
    expect(phone.get_by_role("heading", name="Can't make it?")).to_be_visible()
    expect(phone.get_by_text("Your place goes to the next person on the waitlist.")).to_be_visible()
    shot(phone, "cant-make-it-390")
    phone.get_by_role("button", name="Yes, cancel my RSVP").click()
    expect(phone.get_by_text("Your RSVP is cancelled and your place went to the waitlist.")).to_be_visible()
    expect(phone.locator(".rsvp-status")).to_contain_text("Cancelled")
    shot(phone, "answer-cancelled-390")
    fresh()
    people = {rsvp.name: rsvp for rsvp in db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id))}
    assert people["Amina Yusuf"].status is RsvpStatus.CANCELLED
    assert people["Omar Saleh"].status is RsvpStatus.GOING  # promoted as usual, and emailed
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "omar@example.org"))

    desktop.goto(link_in_mail("bilal@example.org", "Yes, I'm coming"))
    expect(desktop.get_by_text("the organizers know you're coming")).to_be_visible()
    expect(desktop.locator(".rsvp-status")).to_contain_text("you confirmed")
    expect(desktop.locator(".rsvp-ticket__code svg")).to_be_visible()
    shot(desktop, "answer-confirmed-1280")
    phone.goto(link_in_mail("bilal@example.org", "Your ticket"))
    shot(phone, "answer-390")

    sign_in(desktop, "org@example.org")
    desktop.goto(f"/manage/e/{event.id}/rsvps")
    expect(desktop.locator("tr", has_text="Bilal Haddad").get_by_text("Still coming")).to_be_visible()
    expect(desktop.locator("tr", has_text="Omar Saleh").get_by_text("Still coming")).to_have_count(0)
    shot(desktop, "rsvp-list-1280")
    desktop.goto(f"/manage/e/{event.id}/edit")
    section = desktop.locator("fieldset", has_text="Reminder and follow-up emails")
    expect(section.get_by_label("Email a reminder before the event")).to_be_checked()
    section.screenshot(path=str(ARTIFACTS / "event-form-section-1280.png"))

    # The same pages in Arabic, right to left.
    phone.context.add_cookies([{"name": "lang", "value": "ar", "url": phone.url}])
    phone.goto(link_in_mail("bilal@example.org", "I can't make it"))
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    shot(phone, "cant-make-it-ar-390")
    phone.goto(link_in_mail("bilal@example.org", "Your ticket"))
    shot(phone, "answer-ar-390")


def test_opening_yes_records_nothing_until_the_page_sends_it(browser, base_url):
    """Mail scanners open every link in a mail without running scripts: the "Yes, I'm coming" link opens a
    page whose script sends the answer. Without JavaScript (as a scanner) nothing is recorded until the
    button is pressed."""
    team = builders.make_team("organizer")
    start = (utcnow() + timedelta(hours=20)).replace(second=0, microsecond=0)
    event = builders.make_event(team["campaign"], title="Homs solidarity meeting", starts_at=start,
                                ends_at=start + timedelta(hours=2))
    builders.make_rsvp(event, name="Bilal Haddad", email="bilal@example.org", created_at=utcnow() - timedelta(days=2))
    assert reminders.run_due() == 1
    link = link_in_mail("bilal@example.org", "Yes, I'm coming")
    for lang in ("en", "ar"):
        context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                      java_script_enabled=False)
        context.add_cookies([{"name": "lang", "value": lang, "url": base_url}])
        page = context.new_page()
        try:
            page.goto(link)
            expect(page.locator("form[data-submit-on-load] button[type=submit]")).to_be_visible()
            shot(page, f"coming-{lang}-390")
            fresh()
            assert db.session.scalar(select(Rsvp.confirmed_at).where(Rsvp.event_id == event.id)) is None
            if lang == "en":
                page.get_by_role("button", name="Yes, I'm coming").click()
                expect(page.get_by_text("the organizers know you're coming")).to_be_visible()
            else:  # the page the reminder's other links open, still to answer: both buttons side by side
                page.goto(link_in_mail("bilal@example.org", "Your ticket"))
                expect(page.get_by_role("button", name="نعم، سأحضر")).to_be_visible()
                shot(page, "answer-to-answer-ar-390")
        finally:
            context.close()
        if lang == "en":
            fresh()
            assert db.session.scalar(select(Rsvp.confirmed_at).where(Rsvp.event_id == event.id)) is not None
            db.session.execute(db.update(Rsvp).values(confirmed_at=None))  # for the Arabic page
            db.session.commit()


def test_the_report_linked_after_the_follow_up_goes_to_the_people_who_came(desktop: Page, phone: Page):
    team = builders.make_team("organizer")
    start = (utcnow() - timedelta(days=1)).replace(second=0, microsecond=0)
    event = builders.make_event(team["campaign"], title="Homs solidarity meeting", starts_at=start,
                                ends_at=start + timedelta(hours=2))
    came, _t, _k = builders.make_rsvp(event, name="Amina Yusuf", email="amina@example.org")
    builders.make_rsvp(event, name="Bilal Haddad", email="bilal@example.org")
    checkins.check_in(came)
    db.session.commit()
    assert followups.run_due(start + timedelta(hours=6)) == 2  # thanks to Amina, "sorry we missed you" to Bilal
    builders.link_coverage(event, builders.make_coverage(
        team["campaign"], headline="Solidarity meeting pledges support for Syrian revolution"), CoverageRelation.REPORT)

    for page, width in ((phone, 390), (desktop, 1280)):
        sign_in(page, "org@example.org")
        page.goto(f"/manage/e/{event.id}")
        expect(page.get_by_role("button", name="Send the report to the people who came")).to_be_visible()
        page.locator("#send-report").screenshot(path=str(ARTIFACTS / f"send-report-{width}.png"))
    desktop.get_by_role("button", name="Send the report to the people who came").click()
    expect(desktop.get_by_text("The report is being emailed to 1 person who came.")).to_be_visible()
    expect(desktop.get_by_role("button", name="Send the report to the people who came")).to_have_count(0)
    phone.get_by_role("button", name="Send the report to the people who came").click()  # the stale page, again
    expect(phone.get_by_text("The report was already sent to the people who came.")).to_be_visible()
    fresh()
    reports = [m for m in all_messages() if m.renderer == followups.REPORT]
    assert [m.to_address for m in reports] == ["amina@example.org"]
    assert "pledges support for Syrian revolution" in reports[0].body_text


def test_the_mails_look_right(phone: Page):
    """The reminder and the follow-ups' HTML as a mail program shows them (the page's own content)."""
    team = builders.make_team("organizer")
    campaign = team["campaign"]
    start = (utcnow() + timedelta(hours=20)).replace(second=0, microsecond=0)
    event = builders.make_event(campaign, title="Homs solidarity meeting", starts_at=start,
                                ends_at=start + timedelta(hours=2))
    builders.make_event(campaign, title="Day of action for Syria", starts_at=start + timedelta(days=9))
    earlier = utcnow() - timedelta(days=2)
    builders.make_rsvp(event, name="Amina Yusuf", email="amina@example.org", created_at=earlier)
    builders.make_rsvp(event, name="محمد العلي", email="mohammed@example.org", created_at=earlier, locale="ar")
    reminders.run_due()
    past = builders.make_event(campaign, title="Last week's meeting", starts_at=utcnow() - timedelta(days=1),
                               ends_at=utcnow() - timedelta(days=1) + timedelta(hours=2))
    past.followup_text = "Thank you all. We pledged to write to our MPs this week."
    came, _t, _k = builders.make_rsvp(past, name="Came Person", email="came@example.org")
    builders.make_rsvp(past, name="Missed Person", email="missed@example.org")
    checkins.check_in(came)
    builders.link_coverage(past, builders.make_coverage(campaign), CoverageRelation.REPORT)
    followups.run_due()
    for message in all_messages():
        if message.body_html:
            phone.set_content(message.body_html)
            phone.screenshot(path=str(ARTIFACTS / f"mail-{message.renderer}-{message.to_address.split('@')[0]}.png"),
                             full_page=True)
