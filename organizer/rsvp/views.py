from organizer.rsvp import bp  # noqa: F401
