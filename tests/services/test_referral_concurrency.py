"""Two organizers add the same referral code at the same moment, each on their own connection: one
code is made and the other gets the ordinary "already has" message, never a 500. The control run, with
the constraint's refusal left unhandled, shows the race is really there."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from organizer.extensions import db
from organizer.models import Campaign, ReferralCode, User
from organizer.services.campaigns import referrals
from organizer.services.common.errors import Conflict
from tests import builders
from tests.conftest import make_test_app

PEOPLE = 4


@pytest.fixture(scope="module")
def wide_app(database_url):
    app = make_test_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": PEOPLE + 2, "max_overflow": 0})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def add_together(app, monkeypatch) -> list[BaseException]:
    """``PEOPLE`` organizers add the same code at once; the errors raised. Asserts that every one of them
    passed the duplicate check before anyone inserted, so the race was forced, not left to chance."""
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    campaign_id, owner_id = campaign.id, owner.id
    db.session.remove()
    # Everyone passes the duplicate check before anyone inserts: the interleaving the constraint is for.
    checked = threading.Barrier(PEOPLE, timeout=30)
    real_codes, checks = referrals.codes, []

    def codes_then_wait(target):
        result = real_codes(target)
        checks.append(result)
        checked.wait()
        return result

    monkeypatch.setattr(referrals, "codes", codes_then_wait)
    outcomes: list[BaseException] = []

    def organizer() -> None:
        with app.app_context():
            try:
                actor = db.session.get(User, owner_id)
                target = db.session.get(Campaign, campaign_id)
                referrals.create_code(actor, target, "paper-sale")
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - the test reports it
                db.session.rollback()
                outcomes.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=organizer) for _ in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(checks) == PEOPLE, f"the duplicate check is no longer where the barrier holds it: {outcomes}"
    return outcomes


@pytest.mark.postgres_only
def test_the_same_code_at_the_same_moment_is_made_once(wide_app, monkeypatch):
    errors = add_together(wide_app, monkeypatch)
    assert len(errors) == PEOPLE - 1
    assert all(isinstance(error, Conflict) for error in errors), errors
    assert db.session.scalar(select(func.count(ReferralCode.id))) == 1


@pytest.mark.postgres_only
def test_control_without_the_handling_the_race_is_a_database_error(wide_app, monkeypatch):
    def plain_insert(item, code):
        db.session.add(item)
        db.session.flush()

    monkeypatch.setattr(referrals, "_insert", plain_insert)
    errors = add_together(wide_app, monkeypatch)
    assert len(errors) == PEOPLE - 1
    assert all(isinstance(error, IntegrityError) for error in errors), errors
