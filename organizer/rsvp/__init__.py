from flask import Blueprint

bp = Blueprint("rsvp", __name__)

from organizer.rsvp import approval_views, views  # noqa: E402,F401  (registers the routes)
