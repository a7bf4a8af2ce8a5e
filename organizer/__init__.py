"""Organizer: campaigns, solidarity meetings and the news coverage behind them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from organizer import (  # noqa: F401 (database: SQLite pragmas; models: complete metadata)
    cachestore,
    cli,
    database,
    errors,
    logs,
    models,
    pagecache,
    paths,
    security,
    sharedcache,
    templating,
)
from organizer.api import bp as api_bp
from organizer.auth import bp as auth_bp
from organizer.campaigns import bp as campaigns_bp
from organizer.config import Config, config_from_environment
from organizer.door import bp as door_bp
from organizer.embed import bp as embed_bp
from organizer.events import bp as events_bp
from organizer.extensions import babel, csrf, db, limiter, login_manager, migrate
from organizer.invitations import bp as invitations_bp
from organizer.messages import bp as messages_bp
from organizer.previews import bp as previews_bp
from organizer.public import bp as public_bp
from organizer.referrals import bp as referrals_bp
from organizer.reminders import bp as reminders_bp
from organizer.reports import bp as reports_bp
from organizer.rsvp import bp as rsvp_bp
from organizer.unsubscribe import bp as unsubscribe_bp


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` is a Config class, or a mapping of overrides on the environment's."""
    # Templates sit beside the package in a checkout and inside it once installed (see paths.py).
    template_folder = "templates" if paths.is_packaged("templates") else "../templates"
    app = Flask(__name__, template_folder=template_folder, instance_relative_config=False)
    if config is None or isinstance(config, Mapping):
        app.config.from_object(config_from_environment())
        app.config.update(config or {})
    else:
        app.config.from_object(config)
    security.check_config(app)

    db.init_app(app)
    # An absolute directory, so `flask --app organizer db upgrade` works from any working directory.
    migrate.init_app(app, db, directory=str(paths.data_dir("migrations")), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=templating.select_locale)
    limiter.init_app(app)
    templating.init_app(app)
    pagecache.init_app(app)

    if app.config.get("PUBLIC_CACHE_SECONDS", 0) > 0:
        # Wrapped before security.init_app adds ProxyFix around it: the cache keys on the fixed Host and scheme.
        shared_cache = sharedcache.SharedCache(
            app.wsgi_app,
            private_cookies=(app.config["SESSION_COOKIE_NAME"],
                             app.config.get("REMEMBER_COOKIE_NAME", "remember_token")),
            store=cachestore.make_store(app.config.get("CACHE_REDIS_URL"), "organizer:http:"),
            key_cookies=(app.config.get("LANGUAGE_COOKIE_NAME", "lang"),),
        )
        app.wsgi_app = app.extensions["shared_cache"] = shared_cache  # type: ignore[method-assign]
    security.init_app(app)
    logs.init_app(app)  # outermost: logs cache hits too, and gives every response its request id
    errors.init_app(app)
    cli.init_app(app)

    app.register_blueprint(public_bp)
    app.register_blueprint(previews_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(campaigns_bp, url_prefix="/manage")
    app.register_blueprint(events_bp, url_prefix="/manage")
    app.register_blueprint(messages_bp, url_prefix="/manage")
    app.register_blueprint(rsvp_bp)
    app.register_blueprint(door_bp)
    app.register_blueprint(reports_bp, url_prefix="/manage")
    app.register_blueprint(embed_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(referrals_bp, url_prefix="/manage")
    app.register_blueprint(reminders_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(unsubscribe_bp)

    return app
