from flask import Blueprint

bp = Blueprint("invitations", __name__)

from organizer.invitations import views  # noqa: E402,F401  (registers the routes)
