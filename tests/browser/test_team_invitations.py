"""An owner invites people by email; each opens the link from the outbox in their own browser and
joins — one creating an account (and, since the campaign requires it, setting up two-factor sign-in
before seeing anything), one signing in with the account they have. A withdrawn link says so. Then
the owner reads the access log, filtered by kind and by person. Screenshots at 390 and 1280 px, in
English and Arabic, under test-artifacts/access/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from organizer.extensions import db
from organizer.models import AccessKind, Role
from organizer.services.campaigns import invitations
from organizer.services.door import door_links
from organizer.services.privacy import access_log
from tests import builders
from tests.mailbox import last_link, path_of

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "access"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(builders.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fresh_page(browser, base_url, width: int) -> Page:
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
    return context.new_page()


def invite(page: Page, email: str, role: str) -> None:
    page.goto("/manage/c/syria/members")
    page.get_by_label("Their email address").fill(email)
    page.locator("#role").select_option(role)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flash")).to_contain_text(f"Invitation sent to {email}")


def test_a_new_account_in_a_campaign_requiring_two_factor_sets_it_up_first(browser, base_url):
    owner = builders.make_user("owner@example.org", name="Layla Owner")
    campaign = builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity", two_factor_required=True)
    tokens: list[str] = []
    invitations.invite(owner, campaign, "nadia@example.org", Role.COORDINATOR,
                       accept_link=lambda token: tokens.append(token) or f"{base_url}/invite/{token}")
    db.session.commit()
    nadia = fresh_page(browser, base_url, 390)
    nadia.goto(path_of(last_link("nadia@example.org", "/invite/")))
    nadia.get_by_label("Your name").fill("Nadia Salem")
    nadia.locator("#new-password").fill("a-long-password")
    nadia.locator("#new-confirm").fill("a-long-password")
    nadia.get_by_role("button", name="Create account and join").click()
    expect(nadia).to_have_url(re.compile(r"/auth/two-factor/setup"))
    expect(nadia.get_by_text("asks everyone who can see supporters' details")).to_be_visible()
    # Nothing of the campaign opens before the second step is set up.
    nadia.goto("/manage/c/syria/turnout")
    expect(nadia).to_have_url(re.compile(r"/auth/two-factor/setup"))
    nadia.context.close()


def test_invitations_new_and_existing_accounts_and_a_withdrawn_link(desktop: Page, browser, base_url):
    owner = builders.make_user("owner@example.org", name="Layla Owner")
    builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    builders.make_user("omar@example.org", name="Omar Haddad")
    page = desktop
    page.goto("/auth/login")
    sign_in(page, owner.email)
    expect(page).to_have_url(re.compile(r"/manage/$"))

    # The same answer for an address with an account and one without.
    invite(page, "nadia@example.org", "coordinator")
    invite(page, "omar@example.org", "organizer")
    invite(page, "wrong@example.org", "door")
    pending = page.locator("section", has=page.get_by_role("heading", name="Invitations waiting"))
    expect(pending).to_contain_text("nadia@example.org")
    expect(pending).to_contain_text("omar@example.org")
    shot(page, "members-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "members-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A new account, from the link in the mail.
    nadia = fresh_page(browser, base_url, 390)
    nadia.goto(path_of(last_link("nadia@example.org", "/invite/")))
    expect(nadia.get_by_role("heading", name=re.compile("Join"))).to_be_visible()
    shot(nadia, "invite-new-account-390")
    nadia.get_by_label("Your name").fill("Nadia Salem")
    nadia.locator("#new-password").fill("short")
    nadia.locator("#new-confirm").fill("short")
    nadia.get_by_role("button", name="Create account and join").click()
    expect(nadia.locator("#new-password-error")).to_have_text("Use between 8 and 256 characters.")
    expect(nadia.get_by_label("Your name")).to_have_value("Nadia Salem")
    nadia.locator("#new-password").fill("a-long-password")
    nadia.locator("#new-confirm").fill("a-long-password")
    nadia.get_by_role("button", name="Create account and join").click()
    expect(nadia.get_by_text("Welcome to “Syria Solidarity”. You joined as: Coordinator.")).to_be_visible()
    expect(nadia).to_have_url(re.compile(r"/manage/c/syria$"))
    # The link worked once.
    nadia.goto(path_of(last_link("nadia@example.org", "/invite/")))
    expect(nadia.get_by_text("It was already used.")).to_be_visible()
    nadia.context.close()

    # An existing account signs in first, and comes back to the invitation.
    omar = fresh_page(browser, base_url, 1280)
    omar.goto(path_of(last_link("omar@example.org", "/invite/")))
    shot(omar, "invite-existing-account-1280")
    omar.get_by_role("link", name="Sign in to accept").click()
    sign_in(omar, "omar@example.org")
    omar.get_by_role("button", name="Join the campaign").click()
    expect(omar.get_by_text("You joined as: Organizer.")).to_be_visible()
    omar.context.close()

    # A withdrawn invitation's link says so.
    page.goto("/manage/c/syria/members")
    pending.locator(".member-row", has_text="wrong@example.org").get_by_role("button", name=re.compile("Withdraw")).click()
    expect(page.get_by_text("The invitation to wrong@example.org was withdrawn")).to_be_visible()
    stranger = fresh_page(browser, base_url, 390)
    stranger.goto(path_of(last_link("wrong@example.org", "/invite/")))
    expect(stranger.get_by_role("heading", name="This invitation can't be used")).to_be_visible()
    expect(stranger.get_by_text("It was withdrawn by the campaign's owners.")).to_be_visible()
    shot(stranger, "invite-withdrawn-390")
    stranger.context.close()

    members = page.locator(".member-list").first
    page.goto("/manage/c/syria/members")
    expect(members).to_contain_text("Nadia Salem")
    expect(members).to_contain_text("Omar Haddad")


def test_the_owner_reads_the_access_log_filtered_by_kind_and_person(browser, base_url):
    team = builders.make_team("organizer", "coordinator")
    campaign = team["campaign"]
    event = builders.make_event(campaign, title="Briefing on Homs")
    builders.make_rsvp(event, name="Amina Hassan", email="amina@example.org")
    access_log.record_list_view(event, team["coordinator"])
    access_log.record_list_view(event, team["organizer"])
    link, _token = door_links.create(event, "Front door", team["organizer"])
    door_links.revoke(link, team["organizer"])
    access_log.record_access(campaign, AccessKind.MESSAGE, actor=team["organizer"], event=event,
                             subject="going", detail="We moved next door", count=140)
    access_log.record_access(campaign, AccessKind.RETENTION_RUN, count=12)
    db.session.commit()

    for width in (1280, 390):
        page = fresh_page(browser, base_url, width)
        page.goto("/auth/login")
        sign_in(page, "owner@example.org")
        page.goto("/manage/c/syria/audit")
        expect(page.get_by_role("heading", name="Access log")).to_be_visible()
        rows = page.locator(".audit-table tbody tr")
        expect(rows).to_have_count(6)
        expect(rows.first).to_contain_text("12 RSVPs forgotten")  # newest first
        expect(page.locator(".audit-table")).not_to_contain_text("Amina")
        shot(page, f"access-log-{width}")

        page.get_by_label("What").select_option(label="Looked at the RSVP list")
        page.get_by_role("button", name="Show").click()
        expect(rows).to_have_count(2)
        page.get_by_label("Who").select_option(label="Cora Coordinator (coord@example.org)")
        page.get_by_role("button", name="Show").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Cora Coordinator")
        expect(rows.first).to_contain_text("Briefing on Homs")
        shot(page, f"access-log-filtered-{width}")

        page.get_by_role("link", name="Show everything").first.click()
        page.get_by_label("Who").select_option(label="Oren Organizer (org@example.org)")
        page.get_by_role("button", name="Show").click()
        expect(rows).to_have_count(4)
        expect(page.locator(".audit-table")).to_contain_text("Door link turned off")
        expect(page.locator(".audit-table")).to_contain_text("140 recipients")

        page.goto("/manage/c/syria/audit")
        page.get_by_role("link", name="العربية").click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        shot(page, f"access-log-ar-{width}")
        page.context.close()
