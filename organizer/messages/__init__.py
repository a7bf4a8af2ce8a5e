from flask import Blueprint

bp = Blueprint("messages", __name__)

from organizer.messages import views  # noqa: E402,F401  (registers the routes)
