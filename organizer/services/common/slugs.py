"""Editable addresses: an event's or campaign's slug can be changed, and the old one redirects.

Every earlier slug is kept (slug_redirect), so a link shared before the change keeps working. A live
slug always wins over a redirect: taking an address another row once had is allowed.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from organizer.extensions import db
from organizer.models import Campaign, Event, SlugRedirect
from organizer.services.common.errors import ValidationFailed
from organizer.text import is_slug, slugify

KINDS: dict[str, type[Event] | type[Campaign]] = {"event": Event, "campaign": Campaign}


def change_slug(target: Event | Campaign, wanted: str, max_length: int) -> bool:
    """Give ``target`` the slug ``wanted`` (tidied like a generated one); the old one will redirect.
    Returns whether it changed. The caller has checked permissions and commits."""
    kind = "event" if isinstance(target, Event) else "campaign"
    model = KINDS[kind]
    raw = (wanted or "").strip()
    slug = slugify(raw, max_length=max_length) if raw else ""
    if not slug or (slug == "item" and raw.casefold() != "item") or not is_slug(slug):
        raise ValidationFailed(_("Use letters and digits, with hyphens between words."), field="slug")
    if slug == target.slug:
        return False
    taken = db.session.scalar(select(model.id).where(model.slug == slug, model.id != target.id))
    if taken is not None:
        raise ValidationFailed(_("That address is already taken. Choose another."), field="slug")
    old = target.slug
    # The address it takes back (if it had it before) is live again, not a redirect.
    db.session.execute(delete(SlugRedirect).where(SlugRedirect.kind == kind, SlugRedirect.slug == slug))
    db.session.execute(delete(SlugRedirect).where(SlugRedirect.kind == kind, SlugRedirect.slug == old))
    db.session.add(SlugRedirect(kind=kind, slug=old, target_id=target.id))
    target.slug = slug
    db.session.flush()
    return True


def current_slug(kind: str, old_slug: str) -> str | None:
    """The address now of what once was at ``old_slug`` (None: nothing was)."""
    model = KINDS[kind]
    return db.session.scalar(
        select(model.slug).join(SlugRedirect, SlugRedirect.target_id == model.id)
        .where(SlugRedirect.kind == kind, SlugRedirect.slug == old_slug)
    )
