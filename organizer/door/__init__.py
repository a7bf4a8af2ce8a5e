from flask import Blueprint

bp = Blueprint("door", __name__)

from organizer.door import phone, views  # noqa: E402,F401  (registers the routes)
