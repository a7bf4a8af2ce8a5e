from flask import Blueprint

bp = Blueprint("api", __name__)

from organizer.api import views  # noqa: E402,F401  (registers the routes)
