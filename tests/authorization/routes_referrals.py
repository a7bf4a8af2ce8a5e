"""Share links and referral codes of a campaign (organizers), and "Fill from link" for the coverage form."""

from __future__ import annotations

from sqlalchemy import select

from organizer.extensions import db
from organizer.models import ReferralCode
from tests.authorization.rules import ORGANIZERS_UP, Rule, only

ANON = {"anonymous": 302, "supporter_link": 302, "door_link": 302}
BASE = "/manage/c/syria"


def _code(campaign) -> ReferralCode:
    found = db.session.scalar(select(ReferralCode).where(ReferralCode.campaign_id == campaign.id))
    if found is None:
        found = ReferralCode(campaign_id=campaign.id, code="paper-sale")
        db.session.add(found)
        db.session.commit()
    return found


ROUTES: list[Rule] = [
    Rule("referrals.index", "GET", lambda w: f"{BASE}/referrals", only(ORGANIZERS_UP, 200, **ANON)),
    Rule("referrals.index", "POST", lambda w: f"{BASE}/referrals", only(ORGANIZERS_UP, 303, **ANON),
         data=lambda w: {"code": "mosque-newsletter"}),
    Rule("referrals.delete", "POST", lambda w: f"{BASE}/referrals/{_code(w.campaign).id}/delete",
         only(ORGANIZERS_UP, 303, **ANON)),
    Rule("referrals.delete", "POST", lambda w: f"{BASE}/referrals/{_code(w.other_campaign).id}/delete",
         dict(ANON), id_suffix=" foreign code"),
    # A refused address (no network in tests): 400 with the reason, for those who may add coverage.
    Rule("campaigns.coverage_from_link", "POST", lambda w: f"{BASE}/coverage/from-link",
         only(ORGANIZERS_UP, 400, **ANON), data=lambda w: {"url": "http://169.254.169.254/"}),
    # The RSVP form posts to the page's own address, so a shared link's ?r=CODE comes along.
    Rule("rsvp.submit", "POST", lambda w: "/e/lmc-meeting?r=paper-sale", {}, default=303,
         data=lambda w: {"name": "Zainab", "email": "zainab@example.org"}, id_suffix=" on the page's address"),
]
