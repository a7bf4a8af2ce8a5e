"""Turnout figures, the RSVP timeline, the SVG charts, and fixed query counts for the report pages."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from sqlalchemy import event as sa_event

from organizer.extensions import db
from organizer.models import EventStatus, RsvpStatus
from organizer.rendering import charts
from organizer.services.door import checkins, crowd
from organizer.services.door import listing as door_listing
from organizer.services.reports import turnout
from tests import builders


@contextmanager
def count_queries():
    counter = {"n": 0}

    def before(*_args, **_kwargs):
        counter["n"] += 1

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa_event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def campaign():
    return builders.make_campaign(owner=builders.make_user())


def test_timeline_buckets_by_local_day_fills_gaps_and_adds_up(campaign):
    event = builders.make_event(campaign, timezone="Asia/Tokyo", starts_at=datetime(2030, 1, 6, 10, 0))
    builders.make_rsvp(event, created_at=datetime(2030, 1, 1, 14, 30))  # 23:30 in Tokyo: 1 Jan
    builders.make_rsvp(event, created_at=datetime(2030, 1, 1, 15, 30))  # 00:30 in Tokyo: 2 Jan
    builders.make_rsvp(event, created_at=datetime(2030, 1, 4, 1, 0))
    builders.make_rsvp(event, created_at=datetime(2030, 1, 4, 2, 0), status=RsvpStatus.CANCELLED)
    checkins.walk_in(event, "Walk-in, not an RSVP received online")
    db.session.commit()
    days = turnout.rsvp_timeline(event)
    assert [(d.day, d.new, d.total) for d in days[:4]] == [
        (date(2030, 1, 1), 1, 1), (date(2030, 1, 2), 1, 2), (date(2030, 1, 3), 0, 2), (date(2030, 1, 4), 2, 4)]
    assert days[-1].total == 4


def test_timeline_empty_without_rsvps(campaign):
    assert turnout.rsvp_timeline(builders.make_event(campaign)) == []


def test_campaign_turnout_leaves_drafts_out_and_keeps_order(campaign):
    later = builders.make_event(campaign, title="Later", starts_at=datetime(2030, 5, 1, 18))
    earlier = builders.make_event(campaign, title="Earlier", starts_at=datetime(2030, 4, 1, 18))
    builders.make_event(campaign, title="Draft", status=EventStatus.DRAFT)
    rsvp, _, _ = builders.make_rsvp(earlier, guests=1)
    checkins.check_in(rsvp)
    crowd.add(later, 30)
    db.session.commit()
    rows = turnout.campaign_turnout(campaign)
    assert [row.event.title for row in rows] == ["Earlier", "Later"]
    assert rows[0].attendance.checked_in_people == 2 and rows[0].attendance.turnout_rate == 1.0
    assert rows[1].attendance.crowd == 30 and rows[1].attendance.turnout_rate is None


def test_people_who_came_is_the_larger_of_crowd_and_named_never_their_sum(campaign):
    event = builders.make_event(campaign, starts_at=datetime(2012, 2, 29, 19))
    assert turnout.people_who_came(event) == 0
    rsvp, _, _ = builders.make_rsvp(event, guests=2)
    builders.make_rsvp(event)  # going, never checked in: not counted
    checkins.check_in(rsvp)
    checkins.walk_in(event, "Walk-in")
    db.session.commit()
    assert turnout.people_who_came(event) == 4  # the RSVP, its two guests and the walk-in
    crowd.add(event, 3)
    assert turnout.people_who_came(event) == 4  # a smaller crowd count adds nothing
    crowd.set_to(event, 400)
    assert turnout.people_who_came(event) == 400


def test_report_queries_do_not_grow_with_events(campaign):
    for index in range(3):
        event = builders.make_event(campaign)
        for _ in range(3):
            rsvp, _, _ = builders.make_rsvp(event, email=None)
            checkins.check_in(rsvp)
        crowd.add(event, index)
    db.session.commit()
    db.session.expire_all()
    assert campaign.id
    with count_queries() as few:
        turnout.campaign_turnout(campaign)
    for _ in range(7):
        event = builders.make_event(campaign)
        builders.make_rsvp(event, email=None)
    db.session.expire_all()
    assert campaign.id
    with count_queries() as many:
        rows = turnout.campaign_turnout(campaign)
    assert len(rows) == 10
    assert many["n"] == few["n"] <= 4  # events, RSVP counts, check-ins, crowd counts


def test_door_rows_is_one_query(campaign):
    event = builders.make_event(campaign)
    for _ in range(20):
        rsvp, _, _ = builders.make_rsvp(event, email=None)
        checkins.check_in(rsvp)
    db.session.commit()
    assert event.id  # load the event itself first
    with count_queries() as counter:
        rows = door_listing.door_rows(event)
    assert len(rows) == 20 and all(row.checked_in for row in rows) and counter["n"] == 1


@pytest.mark.parametrize("value", [0, 1, 3, 7, 42, 99, 150, 1234, 98765])
def test_nice_ceiling(value):
    top, step = charts.nice_ceiling(value)
    assert top >= max(value, 1) and top % step == 0
    assert 1 <= top // step <= 5  # a handful of gridlines
    assert str(step).strip("0") in {"1", "2", "25", "5"}  # round steps


def test_bar_chart_is_accessible_escaped_and_style_free():
    svg = str(charts.bar_chart(["<script>alert(1)</script>", "Aleppo"], [("Going", [10, 20]), ("Came", [5, 15])],
                               title="Turnout & more", desc="Two events"))
    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg
    ids = re.search(r'aria-labelledby="([^"]+) ([^"]+)"', svg).groups()
    assert f'<title id="{ids[0]}">Turnout &amp; more</title>' in svg and f'<desc id="{ids[1]}">Two events</desc>' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg
    assert svg.count("<rect class=\"chart__bar") == 4


def test_a_small_bar_beside_a_big_one_stays_visible_and_carries_its_number():
    svg = str(charts.bar_chart(["Homs meeting", "Aleppo"], [("Going", [5, 0]), ("Crowd", [400, 0])],
                               title="t", desc="d"))
    heights = [float(h) for h in re.findall(r'<rect class="chart__bar[^"]*" [^>]*height="([\d.]+)"', svg)]
    assert heights[0] >= 2 and heights[1] > 150 and heights[2] == heights[3] == 0
    values = re.findall(r'class="chart__value"[^>]*>([^<]+)</text>', svg)
    assert values == ["5", "400"]  # nothing written over the empty bars


def test_line_chart_handles_one_point_and_many_labels():
    one = str(charts.line_chart(["1 Mar"], [("RSVPs", [3])], title="t", desc="d"))
    assert "<polyline" in one and "1 Mar" in one
    labels = [f"{day} Mar" for day in range(1, 31)]
    many = str(charts.line_chart(labels, [("RSVPs", list(range(30)))], title="t", desc="d"))
    shown = re.findall(r'class="chart__label"[^>]*>([^<]+)<', many)
    assert shown[0] == "1 Mar" and shown[-1] == "30 Mar" and len(shown) <= 8
