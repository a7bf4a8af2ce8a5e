"""Referral codes: a campaign's sharing channels and their share links."""

from flask import Blueprint

bp = Blueprint("referrals", __name__)

from organizer.referrals import views  # noqa: E402,F401  (registers the routes)
