from flask import Blueprint

bp = Blueprint("unsubscribe", __name__)

from organizer.unsubscribe import views  # noqa: E402,F401  (registers the routes)
