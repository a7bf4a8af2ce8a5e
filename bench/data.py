"""A realistic data set, loaded fast: a few statements of ``INSERT ... SELECT generate_series``.

The full set is one campaign with 50 events, one popular event with 10,000 RSVPs and 100,000
supporters across the campaign (one RSVP row each, distinct emails), some checked in. Loading it
takes a few seconds; building it row by row through the ORM would take minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import psycopg

from organizer.services.common.tokens import hash_token
from organizer.text import fold_for_search
from organizer.timeutil import utcnow

CAMPAIGN_SLUG = "bench-campaign"
POPULAR_SLUG = "national-demonstration"
OWNER_EMAIL = "owner@bench.example.org"
OWNER_PASSWORD = "bench-owner-password-2012"
DOOR_LINK_TOKEN = "bench-door-link-token-not-a-secret-0123456789"


@dataclass(frozen=True)
class Scale:
    name: str
    events: int  # including the popular one
    popular_rsvps: int
    supporters: int  # RSVP rows in the whole campaign, one distinct email each
    coverage: int = 12


FULL = Scale("full", events=50, popular_rsvps=10_000, supporters=100_000)
SMALL = Scale("small", events=5, popular_rsvps=20, supporters=100)
QUICK = Scale("quick", events=5, popular_rsvps=300, supporters=2_000)
QUICK_SMALL = Scale("quick-small", events=3, popular_rsvps=5, supporters=20, coverage=3)


@dataclass
class Loaded:
    campaign_id: int
    popular_event_id: int
    owner_user_id: int
    popular_open_rsvp_ids: list[int]  # going and not checked in: the check-in bench walks these
    rsvp_rows: int
    checkin_rows: int


def _password_hash(password: str) -> str:
    from organizer.services.accounts import accounts

    return accounts.hash_password(password)


def load(conninfo: str, scale: Scale) -> Loaded:
    now = utcnow().replace(second=0, microsecond=0)
    with psycopg.connect(conninfo, autocommit=False) as conn:
        cur = conn.cursor()
        owner_id = cur.execute(
            "INSERT INTO user_account (email, name, password_hash, is_admin, session_version, created_at)"
            " VALUES (%s, %s, %s, false, 1, %s) RETURNING id",
            (OWNER_EMAIL, "Bench Owner", _password_hash(OWNER_PASSWORD), now),
        ).fetchone()[0]
        campaign_id = cur.execute(
            "INSERT INTO campaign (slug, name, summary, description, default_venue_name, default_address,"
            " default_city, default_country, default_timezone, created_at)"
            " VALUES (%s, %s, %s, %s, '', '', 'London', 'United Kingdom', 'Europe/London', %s) RETURNING id",
            (
                CAMPAIGN_SLUG,
                "Syria Solidarity",
                "Standing with Syria's revolution: meetings, marches and the reports behind them.",
                "We meet, we march, we report.\n\n**Everyone is welcome.** Bring a friend.",
                now - timedelta(days=90),
            ),
        ).fetchone()[0]
        cur.execute(
            "INSERT INTO membership (campaign_id, user_id, role, created_at) VALUES (%s, %s, 'owner', %s)",
            (campaign_id, owner_id, now),
        )

        # Events: the popular one starts in an hour (RSVPs still open, the door already busy);
        # about 40% are in the past (turnout reports), the rest upcoming; a couple are drafts.
        event_rows = []
        for index in range(scale.events):
            popular = index == 0
            if popular:
                starts = now + timedelta(hours=1)
            elif index % 5 < 2:
                starts = now - timedelta(days=7 * (index + 1))
            else:
                starts = now + timedelta(days=3 * index)
            event_rows.append(
                (
                    campaign_id,
                    POPULAR_SLUG if popular else f"meeting-{index:02d}",
                    "National demonstration: Stop the bombing" if popular else f"Solidarity meeting {index}",
                    DESCRIPTION,
                    starts,
                    starts + timedelta(hours=2),
                    "Europe/London",
                    "Trafalgar Square" if popular else "London Muslim Centre",
                    "Trafalgar Square" if popular else "46 Whitechapel Road",
                    "London",
                    "United Kingdom",
                    "",
                    scale.popular_rsvps * 3 if popular else max(scale.supporters // scale.events * 2, 50),
                    None,
                    "draft" if index == scale.events - 1 and scale.events > 2 else "published",
                    "public",
                    "optional",
                    index % 3 == 0,
                    3,
                    now - timedelta(days=60),
                    now - timedelta(days=1),
                )
            )
        cur.executemany(
            "INSERT INTO event (campaign_id, slug, title, description, starts_at, ends_at, timezone, venue_name,"
            " address, city, country, online_url, capacity, rsvp_deadline, status, visibility, email_policy,"
            " ask_phone, max_guests, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            event_rows,
        )
        event_ids = [
            row[0]
            for row in cur.execute("SELECT id FROM event WHERE campaign_id = %s ORDER BY id", (campaign_id,))
        ]
        popular_id, other_ids = event_ids[0], event_ids[1:] or event_ids[:1]

        question_ids = []
        for position, (label, kind, choices) in enumerate(
            [
                ("Do you need step-free access?", "yes_no", ""),
                ("Which coach are you coming on?", "choice", "Birmingham\nManchester\nLeeds\nI'm local"),
            ]
        ):
            question_ids.append(
                cur.execute(
                    "INSERT INTO question (event_id, position, label, kind, choices, required)"
                    " VALUES (%s, %s, %s, %s, %s, false) RETURNING id",
                    (popular_id, position, label, kind, choices),
                ).fetchone()[0]
            )

        # RSVPs: the popular event's rows first (so their ids are contiguous), then the rest spread
        # round-robin over the other events. Every row a distinct supporter with a distinct email.
        rsvp_sql = """
            INSERT INTO rsvp (event_id, name, search_name, email, email_normalized, phone, guests, consent_contact,
                              status, source, manage_token_hash, ticket_token_hash, created_at, status_changed_at)
            SELECT {event_expr},
                   (%(first_names)s::text[])[1 + i %% %(n_first)s::int] || ' '
                     || (%(last_names)s::text[])[1 + (i / 7) %% %(n_last)s::int],
                   (%(first_keys)s::text[])[1 + i %% %(n_first)s::int] || ' '
                     || (%(last_keys)s::text[])[1 + (i / 7) %% %(n_last)s::int],
                   'supporter' || i || '@example.org',
                   'supporter' || i || '@example.org',
                   CASE WHEN i %% 3 = 0 THEN '07700 ' || lpad((i %% 1000000)::text, 6, '0') END,
                   CASE WHEN i %% 10 = 0 THEN 2 WHEN i %% 4 = 0 THEN 1 ELSE 0 END,
                   i %% 2 = 0,
                   CASE WHEN i %% 29 = 0 THEN 'cancelled' WHEN {waitlist_expr} THEN 'waitlisted' ELSE 'going' END,
                   'online',
                   encode(sha256(('manage-' || i)::bytea), 'hex'),
                   encode(sha256(('ticket-' || i)::bytea), 'hex'),
                   %(now)s - make_interval(mins => (i * 7) %% 43200),
                   %(now)s - make_interval(mins => (i * 7) %% 43200)
            FROM generate_series(%(first)s::int, %(last)s::int) AS i
        """
        cur.execute(
            rsvp_sql.format(event_expr="%(popular)s", waitlist_expr="false"),
            {"popular": popular_id, "first": 1, "last": scale.popular_rsvps, "now": now, **NAMES},
        )
        if scale.supporters > scale.popular_rsvps:
            cur.execute(
                rsvp_sql.format(event_expr="(%(others)s::int[])[1 + i %% %(n)s::int]", waitlist_expr="i %% 97 = 0"),
                {
                    "others": other_ids,
                    "n": len(other_ids),
                    "first": scale.popular_rsvps + 1,
                    "last": scale.supporters,
                    "now": now,
                    **NAMES,
                },
            )

        cur.execute(
            "INSERT INTO answer (rsvp_id, question_id, value)"
            " SELECT id, %s, CASE WHEN id %% 11 = 0 THEN 'yes' ELSE 'no' END FROM rsvp WHERE event_id = %s",
            (question_ids[0], popular_id),
        )
        cur.execute(
            "INSERT INTO answer (rsvp_id, question_id, value)"
            " SELECT id, %s, (ARRAY['Birmingham','Manchester','Leeds','I''m local'])[1 + id %% 4]"
            " FROM rsvp WHERE event_id = %s AND id %% 2 = 0",
            (question_ids[1], popular_id),
        )

        # Check-ins: two thirds of the going people at past events; one in ten at the popular event,
        # whose door is already open. A few were undone and redone (the log is append-only).
        past_ids = [
            row[0]
            for row in cur.execute(
                "SELECT id FROM event WHERE campaign_id = %s AND ends_at < %s", (campaign_id, now)
            )
        ]
        cur.execute(
            """
            INSERT INTO check_in (event_id, rsvp_id, sequence, action, created_at)
            SELECT r.event_id, r.id, 1, 'check_in', e.starts_at - interval '20 minutes' + make_interval(secs => r.id %% 3600)
            FROM rsvp r JOIN event e ON e.id = r.event_id
            WHERE r.status = 'going'
              AND ((r.event_id = ANY(%(past)s) AND r.id %% 3 <> 0) OR (r.event_id = %(popular)s AND r.id %% 10 = 0))
            """,
            {"past": past_ids, "popular": popular_id},
        )
        cur.execute(
            """
            INSERT INTO check_in (event_id, rsvp_id, sequence, action, created_at)
            SELECT c.event_id, c.rsvp_id, s.seq, CASE WHEN s.seq = 2 THEN 'undo' ELSE 'check_in' END,
                   c.created_at + make_interval(secs => s.seq * 30)
            FROM check_in c CROSS JOIN (VALUES (2), (3)) AS s(seq)
            WHERE c.sequence = 1 AND c.rsvp_id % 50 = 0
            """
        )
        cur.execute(
            "INSERT INTO crowd_count_entry (event_id, delta, created_at)"
            " SELECT e.id, d.delta, e.starts_at FROM event e CROSS JOIN (VALUES (25), (40), (-5)) AS d(delta)"
            " WHERE e.campaign_id = %s AND e.starts_at < %s",
            (campaign_id, now + timedelta(hours=2)),
        )
        cur.execute(
            "INSERT INTO door_link (event_id, label, token_hash, created_by_id, created_at, expires_at)"
            " VALUES (%s, 'Front door', %s, %s, %s, %s)",
            (popular_id, hash_token(DOOR_LINK_TOKEN), owner_id, now, now + timedelta(days=2)),
        )

        # The coverage library: the news that prompted the meetings and the reports afterwards.
        cur.execute(
            """
            INSERT INTO coverage (campaign_id, url, headline, outlet, author, published_on, excerpt, language, created_at)
            SELECT %(campaign)s, 'https://news.example.org/syria/' || i,
                   'Syrians defy the assault on Homs, report ' || i, 'Socialist Worker', 'Simon Assaf',
                   date '2012-03-03' + i, %(excerpt)s, 'en', %(now)s
            FROM generate_series(1, %(n)s::int) AS i
            """,
            {"campaign": campaign_id, "excerpt": EXCERPT, "now": now, "n": scale.coverage},
        )
        coverage_ids = [
            row[0]
            for row in cur.execute("SELECT id FROM coverage WHERE campaign_id = %s ORDER BY id", (campaign_id,))
        ]
        links = []
        for position, event_id in enumerate(event_ids):
            for offset in range(3 if event_id == popular_id else 2):
                coverage_id = coverage_ids[(position + offset) % len(coverage_ids)]
                links.append((event_id, coverage_id, "prompted_by", "Why we are meeting", now))
            if event_id in past_ids:
                links.append((event_id, coverage_ids[(position + 5) % len(coverage_ids)], "report", "", now))
        cur.executemany(
            "INSERT INTO event_coverage (event_id, coverage_id, relation, note, created_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            links,
        )

        open_ids = [
            row[0]
            for row in cur.execute(
                "SELECT r.id FROM rsvp r WHERE r.event_id = %s AND r.status = 'going'"
                " AND NOT EXISTS (SELECT 1 FROM check_in c WHERE c.rsvp_id = r.id) ORDER BY r.id",
                (popular_id,),
            )
        ]
        rsvp_rows = cur.execute("SELECT count(*) FROM rsvp").fetchone()[0]
        checkin_rows = cur.execute("SELECT count(*) FROM check_in").fetchone()[0]
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return Loaded(
        campaign_id=campaign_id,
        popular_event_id=popular_id,
        owner_user_id=owner_id,
        popular_open_rsvp_ids=open_ids,
        rsvp_rows=rsvp_rows,
        checkin_rows=checkin_rows,
    )


DESCRIPTION = """\
The bombing of Homs goes on. **Join us** in Trafalgar Square to demand that it stops, and to hear
from Syrians who have just arrived from the city.

- Speakers from the Syrian Revolution Coordination Union
- Reports from Homs, Hama and Deraa
- Collections for the field hospitals

Coaches leave from Birmingham, Manchester and Leeds. [Read the call](https://news.example.org/call).
"""

EXCERPT = (
    "Mass executions, families butchered in their homes, checkpoints and disappearances: "
    "the regime's answer to the revolution has been terror, and still the protests go on."
)

FIRST_NAMES = [
    "Amira", "Sam", "Omar", "Rosa", "Yusuf", "Dana", "Karim", "Lena", "Tariq", "Hannah", "Nour", "Ben",
    "Layla", "Chris", "Hassan", "Maria", "Zainab", "Tom", "Rania", "Priya", "Ahmed", "Sophie", "Bilal",
    "Chloé", "Farah", "Jamal", "Ewa", "Kofi", "Mariam", "Liam", "Salma", "Nikos", "Hiba", "Dylan",
    "Yasmin", "Josée", "Rami", "Aisha", "Pat", "Joana", "Ibrahim",
]
LAST_NAMES = [
    "Haddad", "Brown", "Khalil", "Smith", "Nasser", "Jones", "Aziz", "Taylor", "Saleh", "Williams",
    "Mansour", "Davies", "Hamdan", "Evans", "Kassem", "Thomas", "Darwish", "Roberts", "Yousef", "Walker",
    "Barakat", "Wright", "Suleiman", "Green", "Qasim", "Hall", "Farouk", "Wood", "Ibrahim", "Clarke",
    "Nasrallah", "Hughes", "Said", "Edwards", "Mahmoud", "Patel", "Okafor", "Nowak", "Müller", "Ó Briain",
    "Zayed", "Lewis", "Hussein",
]
NAMES = {
    "first_names": FIRST_NAMES,
    "last_names": LAST_NAMES,
    # what the app stores beside each name for the door search (Rsvp.search_name)
    "first_keys": [fold_for_search(name) for name in FIRST_NAMES],
    "last_keys": [fold_for_search(name) for name in LAST_NAMES],
    "n_first": len(FIRST_NAMES),
    "n_last": len(LAST_NAMES),
}
