from organizer.campaigns import bp  # noqa: F401
