"""PostgreSQL: two ``outbox send --loop`` workers send the same 2,000-recipient message at once to a real
SMTP server (aiosmtpd); one of them is killed mid-batch, with a mail at the server not yet accepted.
Every recipient gets the message exactly once: nothing the dead worker claimed is lost (the other sends
it when the lease ends), nothing is doubled (claims are row locks and a compare-and-set).

The control run shows that the test sees a double: two workers claiming with a plain SELECT and UPDATE
(no SKIP LOCKED, no compare-and-set) take the same rows.
"""

from __future__ import annotations

import collections
import os
import secrets
import sys
import threading

import pytest
from sqlalchemy import func, insert, select, update

from organizer.extensions import db
from organizer.models import Campaign, OutboxMessage, OutboxStatus, Rsvp, RsvpStatus
from organizer.services.mail import outbox
from organizer.services.messaging import messages, segments
from organizer.timeutil import utcnow
from tests import builders
from tests.cluster.nodes import MailServer, Process, wait_until

pytestmark = pytest.mark.postgres_only

PEOPLE = 2_000
LEASE_SECONDS = 5


def outbox_worker(name: str, env: dict[str, str], log_dir) -> Process:
    """As the service runs it, in batches of 50 (tests/cluster's workers take 5 at a time)."""
    command = [sys.executable, "-m", "flask", "--app", "organizer", "outbox", "send", "--loop",
               "--interval", "0.3", "--limit", "50"]
    return Process(name, command, env, log_dir / f"{name}.log")


def _people(event, count: int) -> None:
    now = utcnow()
    db.session.execute(insert(Rsvp.__table__), [
        {"event_id": event.id, "name": f"Person {i}", "search_name": f"person {i}", "email": f"p{i}@example.org",
         "email_normalized": f"p{i}@example.org", "guests": 0, "consent_contact": False, "locale": "",
         "status": RsvpStatus.GOING.value, "source": "online", "manage_token_hash": f"m{i:063d}",
         "ticket_token_hash": f"t{i:063d}", "created_at": now, "status_changed_at": now}
        for i in range(count)])
    db.session.commit()


def _message(count: int):
    owner = builders.make_user()
    campaign = builders.make_campaign(owner)
    event = builders.make_event(campaign)
    _people(event, count)
    target = segments.audience(campaign, event, ["going"])
    message, _ = messages.send(owner, target, messages.clean_draft("We moved", "To the hall **next door**."),
                               secrets.token_urlsafe(24))
    db.session.commit()
    return message


def test_two_workers_one_killed_mid_batch_send_each_recipient_exactly_once(database_url, tmp_path):
    message = _message(PEOPLE)
    mail = MailServer()
    port_a, port_b = mail.listen(), mail.listen()
    env = {**os.environ, "ORGANIZER_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
           "DATABASE_URL": database_url, "BASE_URL": "http://127.0.0.1", "MAIL_BACKEND": "smtp",
           "MAIL_SERVER": "127.0.0.1", "MAIL_SENDER": "Organizer <no-reply@example.org>",
           "MAIL_LEASE_SECONDS": str(LEASE_SECONDS), "PYTHONUNBUFFERED": "1"}
    env.pop("TEST_DATABASE_URL", None)
    workers = []
    try:
        mail.stall_next_on(port_b)
        worker_b = outbox_worker("worker-b", {**env, "MAIL_PORT": str(port_b)}, tmp_path).start()
        workers.append(worker_b)
        # Worker B has claimed its first batch and holds one of its mails at the server, not accepted.
        wait_until(mail.stalled.is_set, 60, "worker B to send its first mail")
        worker_a = outbox_worker("worker-a", {**env, "MAIL_PORT": str(port_a)}, tmp_path).start()
        workers.append(worker_a)
        wait_until(lambda: len(mail.snapshot()) >= 100, 60, "worker A to be sending")
        worker_b.kill()
        mail.release()
        wait_until(lambda: not worker_b.group_pids(), 10, "worker B to be gone")
        worker_b = outbox_worker("worker-b-again", {**env, "MAIL_PORT": str(port_b)}, tmp_path).start()
        workers.append(worker_b)  # restarted by its service manager: two workers again

        def all_done():
            db.session.rollback()
            return db.session.scalar(select(func.count(OutboxMessage.id)).where(
                OutboxMessage.message_id == message.id, OutboxMessage.status == OutboxStatus.PENDING)) == 0

        wait_until(all_done, 180, "every mail to be sent", interval=0.5)
    finally:
        for worker in workers:
            worker.kill()
        mail.stop()
    received = collections.Counter(address for item in mail.snapshot() for address in item.recipients)
    assert len(received) == PEOPLE
    assert set(received.values()) == {1}, [a for a, c in received.items() if c > 1][:5]
    assert received.keys() == {f"p{i}@example.org" for i in range(PEOPLE)}
    assert {item.port for item in mail.snapshot()} == {port_a, port_b}  # both really sent
    assert mail.stalled_recipient.lower().strip("<>") in received  # what the dead worker held was sent after
    entry = messages.log(db.session.get(Campaign, message.campaign_id), 1)[0]
    assert (entry.sent, entry.failed, entry.waiting) == (PEOPLE, 0, 0)


def _naive_claim(limit: int) -> list[int]:
    """A claim without the protection: read pending rows, then lease them unconditionally."""
    ids = list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
                                  .order_by(OutboxMessage.id).limit(limit)))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                       .values(attempts=OutboxMessage.attempts + 1))
    db.session.commit()
    return ids


@pytest.mark.parametrize("protected", [True, False], ids=["claim_due", "control: naive claim"])
def test_two_claims_at_once_take_different_rows_only_with_the_protection(app, protected):
    _message(200)
    barrier = threading.Barrier(2)
    taken: list[list[int]] = [[], []]

    def worker(index):
        with app.app_context():
            barrier.wait()
            for _ in range(10):
                ids = outbox.claim_due(app.config, 20) if protected else _naive_claim(20)
                taken[index].extend(ids)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    both = set(taken[0]) & set(taken[1])
    if protected:
        assert not both and len(taken[0]) + len(taken[1]) == 200
    else:
        assert both, "the control run should have seen both workers take the same rows"
