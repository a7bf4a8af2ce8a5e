"""The ceiling: a hello-world Flask app, served exactly like the real one (gunicorn, 2 sync workers)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
