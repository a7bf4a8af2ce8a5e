"""Entry point for gunicorn: ``gunicorn wsgi:app``."""

from organizer import create_app

app = create_app()
