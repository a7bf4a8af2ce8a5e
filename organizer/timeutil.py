"""Time helpers. The database stores naive UTC; people see the event's own zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_utc(local: datetime, timezone: str) -> datetime:
    """A wall-clock time in ``timezone`` as naive UTC."""
    aware = local.replace(tzinfo=ZoneInfo(timezone))
    return aware.astimezone(UTC).replace(tzinfo=None)


def to_local(utc_naive: datetime, timezone: str) -> datetime:
    return utc_naive.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))


def is_valid_timezone(name: str) -> bool:
    return name in timezone_names()


# Memoised once per process, and exact: the installed zone database does not change while we run.
_TIMEZONES: list[str] = []


def timezone_names() -> list[str]:
    if not _TIMEZONES:
        _TIMEZONES.extend(
            sorted(
                name
                for name in available_timezones()
                if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/"))
            )
            + ["UTC"]
        )
    return _TIMEZONES
