"""Unsubscribing from a campaign's mail (issue 10.7): who said "no more", and the link that says it.

What is kept
------------
One ``MailUnsubscribe`` row per campaign and address, holding ``address_hash``: an HMAC-SHA256 keyed
with SECRET_KEY of the campaign's id and the address's key (``text.address_key``: NFKC, lower-cased),
never the address. So the table can answer "is this address unsubscribed from this campaign?" for an
address one already has, and nothing else: a leaked table names nobody, and the same person's rows in
two campaigns differ. Hashes are also checked under every key in SECRET_KEY_FALLBACKS, so rotating
the secret keeps unsubscribes while the old key stays listed there (SECURITY.md); a new unsubscribe
is stored under the current key, and so is an old one the next time a send meets its address
(``subscribed``, ``enqueue_campaign_mail``: they hold the address, which is what re-keying needs).

The link
--------
Each campaign mail carries a link made for its recipient and campaign: ``/unsubscribe/<token>``,
where the token is the campaign id and the address hash, signed (itsdangerous, salt
``mail-unsubscribe``). It holds no address, never expires and can't be forged for an address one
doesn't have a mail for; the signature keeps made-up hashes out of the table. A GET shows a page with
a button; a POST (that button, or a mail client's RFC 8058 one-click POST, which has no session and
no CSRF token) unsubscribes. Doing it twice is a no-op (unique constraint on campaign and hash).

Campaign mail, and how a mail kind becomes one
----------------------------------------------
"Campaign mail" is mail the organizers send on their own initiative: messages, reminders,
follow-ups. It honours unsubscribes and carries the unsubscribe link (text and HTML) and the
``List-Unsubscribe`` / ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` headers. The direct
answer to something the supporter just did (the RSVP confirmation, "you're on the waitlist", a
promotion from the waitlist, the notice that the event they RSVP'd to changed or was cancelled) is
not campaign mail: it always goes, without the link. Account mails (sign-up, password reset) neither.
Every mail about a campaign's event, campaign mail or not, carries the campaign's contact address
as Reply-To (``Campaign.contact_email``).

To make a new kind of mail a campaign mail, two calls, one on each side of the outbox:

1. Writing it (a service): ``enqueue_campaign_mail(campaign, to_address, subject, RENDERER, data,
   locale=...)`` instead of ``outbox.enqueue_for_worker``. It writes nothing and returns False for an
   address unsubscribed from that campaign, and otherwise adds the recipient's signed unsubscribe
   token to ``data`` (key ``UNSUBSCRIBE_KEY``). Senders that count or list recipients first ask
   ``unsubscribed_among(campaign, addresses)`` (one query, however many addresses) or
   ``is_unsubscribed(campaign, address)``, so "N people will get this" leaves them out.
2. Rendering it (rendering layer, the renderer named by ``RENDERER`` in ``rendering/mail.py``'s
   ``RENDERERS``): return ``rendering.campaign_mail.campaign_mail_bodies(template, subject, data,
   campaign=..., **context)``. It refuses a message without the token (``NothingToSend``: a campaign
   mail never leaves without its link), and one whose recipient unsubscribed after it was written;
   otherwise it renders ``templates/email/<template>.txt`` and ``.html`` (the HTML extends
   ``email/_layout.html`` or ``email/_base.html``, which show the link), appends the link to the
   text, and sets the headers and the Reply-To.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select

from organizer.database import dialect_name, insert_for
from organizer.extensions import db
from organizer.models import Campaign, MailUnsubscribe
from organizer.services.common.validation import is_valid_id
from organizer.services.mail import outbox
from organizer.text import address_key

UNSUBSCRIBE_KEY = "unsubscribe"  # where the recipient's signed token sits in a campaign mail's render data
_SALT = "mail-unsubscribe"
_TOKEN_MAX = 300


def _secrets() -> list[bytes]:
    """The current key first, then the fallbacks still accepted while rotating."""
    keys = [current_app.config["SECRET_KEY"], *(current_app.config.get("SECRET_KEY_FALLBACKS") or [])]
    return [key.encode() if isinstance(key, str) else key for key in keys if key]


def _hash(secret: bytes, campaign_id: int, address: str) -> str:
    message = f"mail-unsubscribe\x00{campaign_id}\x00{address_key(address.strip())}".encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def address_hash(campaign_id: int, address: str) -> str:
    """What is stored for ``address`` unsubscribed from campaign ``campaign_id`` (under the current key)."""
    return _hash(_secrets()[0], campaign_id, address)


def _hashes(campaign_id: int, address: str) -> list[str]:
    return [_hash(secret, campaign_id, address) for secret in _secrets()]


# --- The link ------------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    # itsdangerous signs with the last key and accepts any of them.
    return URLSafeSerializer(list(reversed(_secrets())), salt=_SALT)


def unsubscribe_token(campaign_id: int, address: str) -> str:
    """The signed value of ``address``'s unsubscribe link for the campaign."""
    return _serializer().dumps([campaign_id, address_hash(campaign_id, address)])


def read_token(token: str | None) -> tuple[Campaign, str] | None:
    """The campaign and address hash a link was made for, or None (forged, garbled, campaign deleted)."""
    if not token or len(token) > _TOKEN_MAX:
        return None
    try:
        campaign_id, hashed = _serializer().loads(token)
    except (BadData, TypeError, ValueError):
        return None
    if not is_valid_id(campaign_id) or not isinstance(hashed, str) or len(hashed) != 64:
        return None
    campaign = db.session.get(Campaign, campaign_id)
    return (campaign, hashed) if campaign is not None else None


# --- The rule ------------------------------------------------------------------------------------

def unsubscribe(campaign: Campaign, hashed: str) -> None:
    """Record that the address behind ``hashed`` wants no more campaign mail from ``campaign``; doing it
    again changes nothing (also when two requests race: ON CONFLICT DO NOTHING)."""
    dialect_insert = insert_for(dialect_name(db.session))
    db.session.execute(
        dialect_insert(MailUnsubscribe)
        .values(campaign_id=campaign.id, address_hash=hashed)
        .on_conflict_do_nothing(index_elements=["campaign_id", "address_hash"])
    )


def resubscribe(campaign: Campaign, hashed: str) -> None:
    """Undo ``unsubscribe`` (the page offers it right after, for a mistaken click)."""
    db.session.execute(db.delete(MailUnsubscribe).where(MailUnsubscribe.campaign_id == campaign.id,
                                                        MailUnsubscribe.address_hash == hashed))


def is_hash_unsubscribed(campaign_id: int, hashed: str) -> bool:
    known = _batch_answers.get()
    if known is not None:
        if campaign_id not in known:
            known[campaign_id] = frozenset(db.session.scalars(
                select(MailUnsubscribe.address_hash).where(MailUnsubscribe.campaign_id == campaign_id)))
        return hashed in known[campaign_id]
    return db.session.scalar(select(MailUnsubscribe.id).where(
        MailUnsubscribe.campaign_id == campaign_id, MailUnsubscribe.address_hash == hashed)) is not None


_batch_answers: ContextVar[dict[int, frozenset[str]] | None] = ContextVar("unsubscribes_of_this_batch", default=None)


@contextmanager
def one_lookup_per_campaign() -> Iterator[None]:
    """Inside, ``is_hash_unsubscribed`` reads each campaign's unsubscribes once, when first asked, and
    answers from them: what the outbox worker wraps around one batch (at most a few seconds), so that
    an unsubscribe made before the batch began is honoured and 200 mails cost one query, not 200."""
    token = _batch_answers.set({})
    try:
        yield
    finally:
        _batch_answers.reset(token)


def is_unsubscribed(campaign: Campaign | int, address: str | None) -> bool:
    """Whether ``address`` unsubscribed from the campaign's mail (under the current key or a fallback)."""
    if not address:
        return False
    campaign_id = campaign if isinstance(campaign, int) else campaign.id
    return db.session.scalar(select(MailUnsubscribe.id).where(
        MailUnsubscribe.campaign_id == campaign_id,
        MailUnsubscribe.address_hash.in_(_hashes(campaign_id, address)))) is not None


def unsubscribed_among(campaign: Campaign | int, addresses: Iterable[str | None]) -> set[str]:
    """Those of ``addresses`` (as given) unsubscribed from the campaign: one query for any number."""
    campaign_id = campaign if isinstance(campaign, int) else campaign.id
    by_hash: dict[str, list[str]] = {}
    for address in {address for address in addresses if address}:
        for hashed in _hashes(campaign_id, address):
            by_hash.setdefault(hashed, []).append(address)
    if not by_hash:
        return set()
    stored = set(db.session.scalars(select(MailUnsubscribe.address_hash).where(
        MailUnsubscribe.campaign_id == campaign_id)))
    return {address for hashed, found in by_hash.items() if hashed in stored for address in found}


def _rekey(campaign_id: int, addresses: Iterable[str]) -> None:
    """Store the current key's hash beside an old key's for unsubscribed ``addresses``, so their unsubscribe
    outlives the old key's removal from SECRET_KEY_FALLBACKS (a no-op when there is no fallback)."""
    if len(_secrets()) < 2:
        return
    dialect_insert = insert_for(dialect_name(db.session))
    for address in addresses:
        db.session.execute(dialect_insert(MailUnsubscribe)
                           .values(campaign_id=campaign_id, address_hash=address_hash(campaign_id, address))
                           .on_conflict_do_nothing(index_elements=["campaign_id", "address_hash"]))


def subscribed(campaign: Campaign | int, addresses: Iterable[str]) -> list[str]:
    """``addresses`` without the unsubscribed ones, in their order (for senders: in the sending transaction,
    since it may re-key what it finds)."""
    addresses = list(addresses)
    gone = unsubscribed_among(campaign, addresses)
    _rekey(campaign if isinstance(campaign, int) else campaign.id, gone)
    return [address for address in addresses if address not in gone]


def with_unsubscribe_token(campaign_id: int, to_address: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` plus the recipient's unsubscribe token: for a sender that already left out the
    unsubscribed (``subscribed``) and writes many rows at once."""
    return {**data, UNSUBSCRIBE_KEY: unsubscribe_token(campaign_id, to_address)}


def enqueue_campaign_mail(campaign: Campaign, to_address: str, subject: str, renderer: str,
                          data: dict[str, Any], locale: str | None = None) -> bool:
    """Write one campaign mail for the worker (outbox.enqueue_for_worker) with the recipient's unsubscribe
    token in its data; nothing, and False, when the address unsubscribed from the campaign."""
    if not to_address:
        return False
    if is_unsubscribed(campaign, to_address):
        _rekey(campaign.id, [to_address])
        return False
    outbox.enqueue_for_worker(to_address, subject, renderer, with_unsubscribe_token(campaign.id, to_address, data),
                              locale=locale)
    return True
