from flask import Blueprint

bp = Blueprint("campaigns", __name__)

from organizer.campaigns import views  # noqa: E402,F401  (registers the routes)
