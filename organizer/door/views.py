from organizer.door import bp  # noqa: F401
