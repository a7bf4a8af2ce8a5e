"""A campaign's upcoming public meetings as a small page any site may frame (issue 13 point 5).

The only page that relaxes ``frame-ancestors`` (organizer.security.allow_framing). It shows what the
public campaign page shows and nothing else: no form, no script, no cookie. The language is the
visitor's (Accept-Language), or the one the embedding site asks for with ``?lang=ar``, since a
framed page cannot count on the language cookie (browsers keep cookies from third-party frames).
Links open the event in a new tab, so an RSVP never happens inside someone else's page.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_babel import force_locale
from sqlalchemy import select

from organizer import pagecache
from organizer.embed import bp
from organizer.extensions import db
from organizer.models import Campaign
from organizer.security import allow_framing
from organizer.services.events import listings as event_listings
from organizer.templating import language_of, regional_locale, select_locale
from organizer.views_common import redirect_if_moved

MAX_EVENTS = 20


@bp.get("/c/<slug>/embed")
def campaign(slug: str):
    config = current_app.config
    asked = request.args.get("lang", "")
    chosen = asked if asked in config["LANGUAGES"] else None

    def render() -> str:
        found = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
        if found is None:
            # A frame on another site keeps the address it was given: after a slug edit it follows.
            redirect_if_moved("campaign", slug, "embed.campaign", **({"lang": chosen} if chosen else {}))
            abort(404)
        upcoming = event_listings.still_to_come(event_listings.public_campaign_events(found))[:MAX_EVENTS]
        language = language_of(chosen or select_locale()) or language_of(config.get("DEFAULT_LOCALE"))
        return render_template("embed/campaign.html", campaign=found, events=upcoming, language=language)

    if chosen is None:
        response = pagecache.cached_page(("embed.campaign", slug), render)
    else:
        with force_locale(regional_locale(chosen, config.get("DEFAULT_LOCALE") or "en")):
            response = pagecache.cached_page(("embed.campaign", slug, chosen), render)
    return allow_framing(response)
