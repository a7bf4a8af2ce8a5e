from flask import Blueprint

bp = Blueprint("reminders", __name__)

from organizer.reminders import views  # noqa: E402,F401  (registers the routes)
