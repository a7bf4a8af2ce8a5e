from organizer.public import bp  # noqa: F401
