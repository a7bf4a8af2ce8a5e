from organizer.events import bp  # noqa: F401
