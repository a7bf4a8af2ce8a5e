"""Business rules. No request, session or template imports here: callers pass the acting user."""
