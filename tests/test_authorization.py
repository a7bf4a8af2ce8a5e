"""Every route from app.url_map, for every persona, gets exactly the status its area declared."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.authorization as authorization_package
from organizer import create_app  # noqa: F401  (keeps the import graph honest)
from tests.authorization.rules import Rule
from tests.authorization.world import PERSONAS, World, build_world

IGNORED_ENDPOINTS = {"static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


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


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "rule", RULES, ids=[f"{r.method} {r.endpoint}{r.id_suffix}" for r in RULES]
)
def test_matrix(app, rule: Rule, persona: str):
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        world = build_world()
        client = _client_for(app, world, persona)
        path = rule.path(world)
        data = rule.data(world) if rule.data else None
        response = client.open(path, method=rule.method, data=data)
        assert response.status_code == rule.expected(persona), (
            f"{persona} {rule.method} {path}: got {response.status_code}, expected {rule.expected(persona)}"
        )
        if response.status_code == 302 and persona == "anonymous" and path.startswith("/manage"):
            assert "/auth/login" in response.headers["Location"]
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
