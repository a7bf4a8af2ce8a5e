"""Organizer pages of a campaign: my campaigns, its dashboard, settings, members, coverage library."""

from __future__ import annotations

from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Coverage, Membership
from tests import builders
from tests.authorization.rules import ORGANIZERS_UP, OWNERS, SIGNED_IN, STAFF, Rule, only

ANON = {"anonymous": 302, "supporter_link": 302, "door_link": 302}
BASE = "/manage/c/syria"


def _foreign_membership(w) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.campaign_id == w.other_campaign.id))


def _foreign_coverage(w) -> Coverage:
    found = db.session.scalar(select(Coverage).where(Coverage.campaign_id == w.other_campaign.id))
    return found or builders.make_coverage(w.other_campaign, headline="Elsewhere")


def _campaign_data(w):
    return {"name": "Syria Solidarity (renamed)", "summary": "", "description": "",
            "default_timezone": "Europe/London"}


def _coverage_data(w):
    return {"url": "https://example.org/news/1", "headline": "A new article", "language": "en"}


ROUTES: list[Rule] = [
    Rule("campaigns.dashboard", "GET", lambda w: "/manage/", only(SIGNED_IN, 200, **ANON)),
    Rule("campaigns.create", "GET", lambda w: "/manage/campaigns/new", only(SIGNED_IN, 200, **ANON)),
    Rule("campaigns.create", "POST", lambda w: "/manage/campaigns/new", only(SIGNED_IN, 303, **ANON),
         data=lambda w: {"name": "A new campaign", "default_timezone": "Europe/London"}),
    Rule("campaigns.overview", "GET", lambda w: BASE, only(STAFF, 200, **ANON)),
    Rule("campaigns.overview", "GET", lambda w: "/manage/c/elsewhere",
         only(("other_organizer", "admin"), 200, **ANON), id_suffix=" other campaign"),
    Rule("campaigns.overview", "GET", lambda w: "/manage/c/no-such-campaign", dict(ANON), id_suffix=" unknown"),
    Rule("campaigns.edit", "GET", lambda w: f"{BASE}/edit", only(OWNERS, 200, **ANON)),
    Rule("campaigns.edit", "POST", lambda w: f"{BASE}/edit", only(OWNERS, 303, **ANON), data=_campaign_data),
    Rule("campaigns.members", "GET", lambda w: f"{BASE}/members", only(OWNERS, 200, **ANON)),
    Rule("campaigns.invite", "POST", lambda w: f"{BASE}/invitations", only(OWNERS, 303, **ANON),
         data=lambda w: {"email": "new-member@example.org", "role": "door"}),
    Rule("campaigns.invitation_withdraw", "POST", lambda w: f"{BASE}/invitations/{w.invitation.id}/withdraw",
         only(OWNERS, 303, **ANON)),
    Rule("campaigns.invitation_withdraw", "POST",
         lambda w: f"{BASE}/invitations/{w.other_invitation.id}/withdraw", dict(ANON), id_suffix=" foreign"),
    Rule("campaigns.member_role", "POST", lambda w: f"{BASE}/members/{w.member.id}/role", only(OWNERS, 303, **ANON),
         data=lambda w: {f"m{w.member.id}-role": "organizer"}),
    Rule("campaigns.member_role", "POST", lambda w: f"{BASE}/members/{_foreign_membership(w).id}/role", dict(ANON),
         data=lambda w: {f"m{_foreign_membership(w).id}-role": "door"}, id_suffix=" foreign member"),
    Rule("campaigns.member_remove", "GET", lambda w: f"{BASE}/members/{w.member.id}/remove", only(OWNERS, 200, **ANON)),
    Rule("campaigns.member_remove", "POST", lambda w: f"{BASE}/members/{w.member.id}/remove",
         only(OWNERS, 303, **ANON)),
    Rule("campaigns.member_remove", "GET", lambda w: f"{BASE}/members/{_foreign_membership(w).id}/remove",
         dict(ANON), id_suffix=" foreign member"),
    Rule("campaigns.member_remove", "POST", lambda w: f"{BASE}/members/{_foreign_membership(w).id}/remove",
         dict(ANON), id_suffix=" foreign member"),
    Rule("campaigns.coverage", "GET", lambda w: f"{BASE}/coverage", only(ORGANIZERS_UP, 200, **ANON)),
    Rule("campaigns.coverage_search", "GET", lambda w: f"{BASE}/coverage/search?q=homs",
         only(ORGANIZERS_UP, 200, **ANON)),
    Rule("campaigns.coverage_new", "GET", lambda w: f"{BASE}/coverage/new", only(ORGANIZERS_UP, 200, **ANON)),
    Rule("campaigns.coverage_new", "POST", lambda w: f"{BASE}/coverage/new", only(ORGANIZERS_UP, 303, **ANON),
         data=_coverage_data),
    Rule("campaigns.coverage_edit", "GET", lambda w: f"{BASE}/coverage/{w.coverage.id}/edit",
         only(ORGANIZERS_UP, 200, **ANON)),
    Rule("campaigns.coverage_edit", "POST", lambda w: f"{BASE}/coverage/{w.coverage.id}/edit",
         only(ORGANIZERS_UP, 303, **ANON), data=_coverage_data),
    Rule("campaigns.coverage_edit", "GET", lambda w: f"{BASE}/coverage/{_foreign_coverage(w).id}/edit",
         dict(ANON), id_suffix=" foreign article"),
    Rule("campaigns.coverage_edit", "POST", lambda w: f"{BASE}/coverage/{_foreign_coverage(w).id}/edit",
         dict(ANON), data=_coverage_data, id_suffix=" foreign article"),
    Rule("campaigns.coverage_delete", "GET", lambda w: f"{BASE}/coverage/{w.coverage.id}/delete",
         only(ORGANIZERS_UP, 200, **ANON)),
    Rule("campaigns.coverage_delete", "POST", lambda w: f"{BASE}/coverage/{w.coverage.id}/delete",
         only(ORGANIZERS_UP, 303, **ANON)),
    Rule("campaigns.coverage_delete", "POST", lambda w: f"{BASE}/coverage/{_foreign_coverage(w).id}/delete",
         dict(ANON), id_suffix=" foreign article"),
]
