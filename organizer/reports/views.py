from organizer.reports import bp  # noqa: F401
