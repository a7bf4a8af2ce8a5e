from __future__ import annotations

import enum

from sqlalchemy import Enum


def enum_column(enum_class: type[enum.Enum], name: str | None = None) -> Enum:
    """Store an enum by its value as a short string with a CHECK constraint, portable across databases.

    ``name`` names the CHECK constraint when one table has two columns of the same enum (names must differ)."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        name=name or enum_class.__name__.lower(),
        validate_strings=True,
    )
