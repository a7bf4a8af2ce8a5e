"""How many emails the RSVP form may send to one address about one event (issue 16).

Anyone can type anyone's address into the RSVP form. Without a limit, fifteen RSVPs in a minute sent
fifteen emails, each starting with a name the sender chose; the per-client RSVP limit did not help
against many clients. So each (event, address) has a quota per window (``RSVP_MAIL_LIMIT``, e.g.
"2 per hour"), of which at most one may say "this address already had an RSVP": ``take`` counts
one more email and says whether it may go. The count lives in the
database (``MailQuota``), shared by every worker without Redis, keyed by an HMAC of the event and the
address key (``text.address_key``), so a fullwidth or upper-case spelling counts as the same address
and the address itself is not stored here.

``take`` is one statement whatever the answer, run for every RSVP with an email: whether an address
is known or over its quota doesn't change the work a request does (SECURITY.md).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from limits import parse
from sqlalchemy import Integer, bindparam, case, delete

from organizer.database import dialect_name, insert_for, rowcount
from organizer.extensions import db
from organizer.models import MailQuota
from organizer.timeutil import utcnow


def _limit() -> tuple[int, timedelta]:
    item = parse(current_app.config["RSVP_MAIL_LIMIT"])
    return item.amount, timedelta(seconds=item.get_expiry())


def _key(scope: str, address_key: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"rsvp-mail\x00{scope}\x00{address_key}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=2)
def _upsert(dialect: str):
    """INSERT ... ON CONFLICT (key) DO UPDATE ... RETURNING mails: a new window starts at 1, an open one
    counts on. In the SET clause the table's columns are the row already there."""
    table = MailQuota.__table__
    notice = bindparam("notice", type_=Integer)
    statement = insert_for(dialect)(table).values(key=bindparam("key"), window_started_at=bindparam("now"),
                                                  mails=1, notices=notice)
    expired = table.c.window_started_at <= bindparam("cutoff")
    return statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"mails": case((expired, 1), else_=table.c.mails + 1),
              "notices": case((expired, notice), else_=table.c.notices + notice),
              "window_started_at": case((expired, bindparam("now")), else_=table.c.window_started_at)},
    ).returning(table.c.mails, table.c.notices)


def take(scope: str, address_key: str, *, notice: bool, now: datetime | None = None) -> bool:
    """Count one more email to ``address_key`` about ``scope`` (an event) — a ``notice`` when it tells
    the address it already had an RSVP — and say whether it may go: while the window's emails stay
    within ``RSVP_MAIL_LIMIT`` and, for a notice, it is the window's first. Counted even when it may
    not go (a flood keeps its window full). Runs in the caller's transaction."""
    now = now or utcnow()
    amount, window = _limit()
    statement = _upsert(dialect_name(db.session))
    mails, notices = db.session.execute(statement, {"key": _key(scope, address_key), "now": now,
                                                    "cutoff": now - window, "notice": int(notice)}).one()
    return mails <= amount and (not notice or notices <= 1)


def purge(now: datetime | None = None) -> int:
    """Forget windows that have passed (the outbox worker calls this each round)."""
    _amount, window = _limit()
    result = db.session.execute(delete(MailQuota).where(MailQuota.window_started_at <= (now or utcnow()) - window))
    return rowcount(result)
