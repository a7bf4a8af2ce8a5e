"""Every route from app.url_map, for every persona, gets exactly the status its area declared.

One test per rule walks all personas, so a failure shows the whole row at once. The world is built
once and snapshotted; every rule starts from it restored (much faster than building it again).
GET rules share that world across personas (a GET must not change anything); POST rules get it
back, as built, for every persona.
Beyond the status code, every response is checked for leaks:
- a denied response (404, or 302 to sign-in) never contains a supporter's name or address;
- a 404 for a route without a secret token looks exactly like any other 404;
- anonymous visitors and organizers of another campaign never see this campaign's supporters
  on a route that has no secret link in its path.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import pkgutil
import re

import pytest

import tests.authorization as authorization_package
from organizer import create_app  # noqa: F401  (keeps the import graph honest)
from organizer.extensions import db
from organizer.models import RsvpTally
from tests.authorization.rules import Rule
from tests.authorization.world import PERSONAS, World, build_world

IGNORED_ENDPOINTS = {"static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}
OUTSIDERS = ("anonymous", "other_organizer")
_TOKEN_SEGMENT = re.compile(r"/[A-Za-z0-9_.-]{32,}(?:/|$)")  # tokens, and signed links (with dots)
# The token, and the language switcher's way back to the page asked for (the visitor's own path).
_VOLATILE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*"|(<meta name="csrf-token" content=")[^"]*"'
                       r'|(href="/language/[a-z]+\?next=)[^"]*"')


def collect_rules() -> list[Rule]:
    rules: list[Rule] = []
    for module_info in pkgutil.iter_modules(authorization_package.__path__):
        if module_info.name.startswith("routes_"):
            module = importlib.import_module(f"tests.authorization.{module_info.name}")
            rules.extend(module.ROUTES)
    return rules


RULES = collect_rules()


def test_every_route_is_in_the_matrix(app):
    declared = {(rule.endpoint, rule.method) for rule in RULES}
    missing = sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in IGNORED_ENDPOINTS
        for method in rule.methods - IGNORED_METHODS
        if (rule.endpoint, method) not in declared
    )
    assert not missing, f"routes missing from tests/authorization/routes_*.py: {missing}"


def test_no_rule_names_a_route_that_does_not_exist(app):
    existing = {
        (rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods
    }
    stale = sorted({(r.endpoint, r.method) for r in RULES} - existing)
    assert not stale, f"matrix rules for routes that no longer exist: {stale}"


def test_denied_looks_the_same_everywhere():
    """Denied access is a 404 (or the sign-in redirect for anonymous visitors), never a 403."""
    forbidden = [f"{r.endpoint} {r.method}{r.id_suffix}" for r in RULES
                 if 403 in r.expect.values() or r.default == 403]
    assert not forbidden, f"rules expecting 403 (use 404 so nothing is revealed): {forbidden}"


def test_rule_ids_are_unique():
    ids = [_rule_id(rule) for rule in RULES]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    assert not duplicates, f"give these rules an id_suffix: {duplicates}"


def _rule_id(rule: Rule) -> str:
    return f"{rule.method} {rule.endpoint}{rule.id_suffix}"


def _client_for(app, world: World, persona: str):
    client = app.test_client()
    if persona in world.users:
        with client.session_transaction() as session:
            session["_user_id"] = world.users[persona].get_id()
            session["_fresh"] = True
    elif persona == "door_link":
        response = client.get(f"/door/{world.door_token}")
        assert response.status_code in (302, 303), "opening the door link must start a door session"
    return client


def _secrets(world: World) -> list[str]:
    return [s for s in (world.manage_token, world.ticket_token, world.door_token, world.signup_token,
                        world.reset_token) if s]


def _normalized(body: str) -> str:
    return _VOLATILE.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + '"', body)


def _check(client, world: World, rule: Rule, persona: str) -> list[str]:
    """Run one request; return what's wrong with the response (empty when all is well)."""
    path = rule.path(world)
    data = rule.data(world) if rule.data else None
    response = client.open(path, method=rule.method, data=data)
    expected = rule.expected(persona)
    problems = []
    where = f"{persona} {rule.method} {path}"
    if response.status_code != expected:
        problems.append(f"{where}: got {response.status_code}, expected {expected}")
    body = response.get_data().decode("utf-8", "replace")  # pictures too (share images, the favicon)
    has_secret = any(secret in path for secret in _secrets(world)) or bool(_TOKEN_SEGMENT.search(path))
    if (response.status_code in (302, 303) and persona == "anonymous" and path.startswith("/manage")
            and "/auth/login" not in response.headers.get("Location", "")):
        problems.append(f"{where}: anonymous must be sent to sign in, went to {response.headers.get('Location')}")
    denied = response.status_code in (401, 403, 404, 405) or (
        response.status_code in (302, 303) and "/auth/login" in response.headers.get("Location", ""))
    if denied or (persona in OUTSIDERS and not has_secret):
        leaked = [value for value in world.personal_data() if value in body]
        if leaked:
            problems.append(f"{where}: response ({response.status_code}) shows personal data {leaked}")
    if response.status_code == 404 and not has_secret and rule.method == "GET":
        # The public API answers in JSON: its 404s must look like any other 404 of the API.
        prefix = "/api/v1/" if path.startswith("/api/") else "/"
        generic = client.get(prefix + "this-page-does-not-exist-" + "x" * 8)
        if _normalized(generic.get_data(as_text=True)) != _normalized(body):
            problems.append(f"{where}: this 404 differs from the generic 404 page (it reveals something)")
    return problems


@dataclasses.dataclass
class Snapshot:
    rows: list[tuple]  # (table, [row dicts]) in dependency order
    world: World  # with every model instance replaced by (class, id)


def _identity(value):
    if hasattr(value, "__table__"):
        return (type(value), value.id)
    if isinstance(value, dict):
        return {key: _identity(item) for key, item in value.items()}
    return value


def _reload(value):
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], type):
        return db.session.get(*value)
    if isinstance(value, dict):
        return {key: _reload(item) for key, item in value.items()}
    return value


def take_snapshot(world: World) -> Snapshot:
    db.session.commit()
    with db.engine.connect() as connection:
        rows = [(table, [dict(row._mapping) for row in connection.execute(table.select())])
                for table in db.metadata.sorted_tables]
    ids = copy.copy(world)
    for field in dataclasses.fields(World):
        setattr(ids, field.name, _identity(getattr(world, field.name)))
    return Snapshot(rows, ids)


def restore(snapshot: Snapshot) -> World:
    """Put every table back as it was when the world was built; fresh instances, same ids and tokens."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table, _rows in reversed(snapshot.rows):
            connection.execute(table.delete())
        for table, rows in snapshot.rows:
            if rows and table.name != RsvpTally.__tablename__:  # the triggers on rsvp write it again
                connection.execute(table.insert(), rows)
    world = copy.copy(snapshot.world)
    for field in dataclasses.fields(World):
        setattr(world, field.name, _reload(getattr(snapshot.world, field.name)))
    return world


_built: list[Snapshot] = []


def fresh_world() -> tuple[World, Snapshot]:
    """The world as built, restored from the snapshot taken the first time (building takes longer)."""
    if not _built:
        world = build_world()
        _built.append(take_snapshot(world))
        return world, _built[0]
    return restore(_built[0]), _built[0]


@pytest.fixture
def cheap_password_hashing(monkeypatch):
    """The matrix tests who may do what, not Argon2's cost: hash with tiny parameters here only
    (tests/services/test_accounts.py checks the real ones)."""
    from argon2 import PasswordHasher

    from organizer.services.accounts import accounts
    from tests import builders

    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("organizer-dummy-password"))
    monkeypatch.setattr(builders, "_hash_cache", {})


@pytest.mark.parametrize("rule", RULES, ids=[_rule_id(r) for r in RULES])
def test_matrix(app, rule: Rule, cheap_password_hashing):
    app.config["WTF_CSRF_ENABLED"] = False
    problems: list[str] = []
    try:
        world, snapshot = fresh_world()
        for index, persona in enumerate(PERSONAS):
            if rule.method != "GET" and index > 0:
                world = restore(snapshot)  # a POST may have changed the world: start the next persona afresh
            try:
                client = _client_for(app, world, persona)
            except AssertionError as error:
                problems.append(f"{persona}: {error}")
                continue
            problems += _check(client, world, rule, persona)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert not problems, "\n".join(problems)
