"""A mail provider's one-click POST and the person's own click arrive at once (or a provider retries): on
PostgreSQL, many unsubscribes of one address at the same moment leave one row and no error. The control run,
a plain INSERT without ON CONFLICT DO NOTHING, shows the race: the unique constraint refuses the later ones,
which would be a 500 for someone who only wanted to unsubscribe."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from organizer.extensions import db
from organizer.models import Campaign, MailUnsubscribe
from organizer.services.mail import unsubscribe
from tests import builders
from tests.concurrency import at_once
from tests.conftest import make_test_app

PEOPLE = 12
ROUNDS = 5


@pytest.fixture(scope="module")
def wide_app(database_url):
    app = make_test_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": PEOPLE + 2, "max_overflow": 0})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def plain_insert(campaign, hashed) -> None:
    db.session.execute(insert(MailUnsubscribe).values(campaign_id=campaign.id, address_hash=hashed))


def click_together(app, campaign_id: int, hashed: str, action) -> list[BaseException]:
    return at_once(app, PEOPLE, lambda _index: db.session.get(Campaign, campaign_id),
                   lambda _index, campaign: action(campaign, hashed))


def rows(campaign_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(MailUnsubscribe.id)).where(MailUnsubscribe.campaign_id == campaign_id))


@pytest.mark.postgres_only
@pytest.mark.parametrize("protected", [True, False], ids=["on-conflict-do-nothing", "control-plain-insert"])
def test_simultaneous_unsubscribes_leave_one_row_and_no_error(wide_app, protected):
    saw_race = False
    for round_ in range(ROUNDS):
        campaign = builders.make_campaign(owner=builders.make_user())
        campaign_id, hashed = campaign.id, unsubscribe.address_hash(campaign.id, f"amina{round_}@example.org")
        db.session.remove()
        errors = click_together(wide_app, campaign_id, hashed, unsubscribe.unsubscribe if protected else plain_insert)
        assert rows(campaign_id) == 1
        if protected:
            assert errors == []
        else:
            saw_race = saw_race or bool(errors)
    if not protected:
        assert saw_race, "the control never saw two inserts collide: the test could not detect the race"
