from flask import Blueprint

bp = Blueprint("public", __name__)

from organizer.public import views  # noqa: E402,F401  (registers the routes)
