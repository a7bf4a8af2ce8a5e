from organizer.auth import bp  # noqa: F401
