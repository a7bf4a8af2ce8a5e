"""What the rest of the web reads: share pictures for link previews, robots.txt, sitemap.xml, the favicon."""

from flask import Blueprint

bp = Blueprint("previews", __name__)

from organizer.previews import views  # noqa: E402,F401  (registers the routes)
