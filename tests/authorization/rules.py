"""How an area declares its routes for the matrix.

Each ``tests/authorization/routes_<area>.py`` defines ``ROUTES: list[Rule]``. A Rule names the
endpoint and method, builds the path (and form data for POSTs) from the World, and states the
exact status code each persona must get. ``default`` covers personas not listed.
Denied conventions: anonymous on /manage pages -> 302 to sign-in; a signed-in person without the
role -> 404 (nothing is revealed); broken or foreign tokens -> 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.authorization.world import World

STAFF = ("door", "coordinator", "organizer", "owner", "admin")
COORDINATORS_UP = ("coordinator", "organizer", "owner", "admin")
ORGANIZERS_UP = ("organizer", "owner", "admin")
OWNERS = ("owner", "admin")
SIGNED_IN = ("door", "coordinator", "organizer", "owner", "other_organizer", "admin")


@dataclass(frozen=True)
class Rule:
    endpoint: str
    method: str
    path: Callable[[World], str]
    expect: dict[str, int]
    default: int = 404
    data: Callable[[World], dict] | None = None
    note: str = ""
    id_suffix: str = ""  # when one endpoint+method needs several rules

    def expected(self, persona: str) -> int:
        return self.expect.get(persona, self.default)


def only(personas: tuple[str, ...] | list[str], status: int, **extra: int) -> dict[str, int]:
    """``only(ORGANIZERS_UP, 200, anonymous=302)`` -> those personas get 200, anonymous 302."""
    result = dict.fromkeys(personas, status)
    result.update(extra)
    return result
