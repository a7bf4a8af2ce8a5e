"""Configuration classes: the only module that reads environment variables."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str] | None = None) -> list[str] | None:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-key-change-me")
    SECRET_KEY_FALLBACKS = _env_list("SECRET_KEY_FALLBACKS", []) or []
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'organizer.sqlite3'}"
    )
    # hide_parameters: SQL logged at INFO, and database errors in tracebacks, never show the values
    # (emails, names, token hashes) bound to a statement.
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True, "hide_parameters": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")

    ALLOW_SIGNUP = _env_bool("ALLOW_SIGNUP", True)
    # The languages a visitor can choose (the first two letters of a locale); each needs a catalog in
    # organizer/translations except English, the source language.
    LANGUAGES: ClassVar[list[str]] = _env_list("LANGUAGES", ["en", "ar"]) or ["en"]
    # Dates and numbers of the default language follow this locale: en_GB writes "Saturday 12 December
    # 2026", en_US "Saturday, December 12, 2026". Also the language of pages when nothing else decides.
    DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "en_GB")
    BABEL_DEFAULT_LOCALE = DEFAULT_LOCALE
    # The visitor's choice of language (the switcher on every page); a year, then Accept-Language again.
    LANGUAGE_COOKIE_NAME = "lang"
    LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
    BABEL_DEFAULT_TIMEZONE = "UTC"
    DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "Europe/London")

    # Sessions: cookies are never readable by scripts; a session idles out.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(
        minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "120"))
    )
    SESSION_REFRESH_EACH_REQUEST = True
    HSTS = False

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(1024 * 1024)))
    WTF_CSRF_TIME_LIMIT = None  # bound to the session, which already idles out

    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # RSVPs come from halls where hundreds share one address: every RSVP from an address counts
    # towards a generous limit, failed ones (invalid, refused) towards a tight one, and each email
    # address towards its own (SECURITY.md, "A hall on one Wi-Fi").
    RSVP_RATE_LIMIT = os.environ.get("RSVP_RATE_LIMIT", "300 per minute;3000 per hour")
    RSVP_FAILED_RATE_LIMIT = os.environ.get("RSVP_FAILED_RATE_LIMIT", "20 per minute;100 per hour")
    RSVP_EMAIL_RATE_LIMIT = os.environ.get("RSVP_EMAIL_RATE_LIMIT", "10 per hour")
    # Emails the RSVP form sends to one address about one event, whoever submits (services.mail_limits);
    # of these, at most the first of a window may tell an address that it already had an RSVP.
    RSVP_MAIL_LIMIT = os.environ.get("RSVP_MAIL_LIMIT", "2 per hour")
    # Failed sign-ins, per client address and per account (the account key is the normalized email).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes")
    # Sign-up and reset requests send email: limited per client and per address, so nobody is mail-bombed.
    SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "10 per hour")
    RESET_RATE_LIMIT = os.environ.get("RESET_RATE_LIMIT", "5 per minute;20 per hour")
    EMAIL_RATE_LIMIT = os.environ.get("EMAIL_RATE_LIMIT", "3 per hour")
    # "Fill from link" makes the server fetch a page: per organizer, both of its routes together.
    LINK_FETCH_RATE_LIMIT = os.environ.get("LINK_FETCH_RATE_LIMIT", "20 per minute;200 per day")
    # The public read-only API, per client address (answers from the shared page cache don't count).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none, trust nothing).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    # Logging: "text" lines or "json" lines on stderr (unless the root logger was configured already).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    # Production refuses to start with a missing, default or short SECRET_KEY (see security.check_config).
    REQUIRE_STRONG_SECRET_KEY = False

    # Mail: "smtp" sends through MAIL_SERVER; "file" writes .eml files to MAIL_FILE_DIR.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_STARTTLS = _env_bool("MAIL_USE_STARTTLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Organizer <no-reply@organizer.invalid>")
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    # A worker holds the messages it claimed for this long; if it dies, another worker sends them after
    # that. Longer than a round of --limit messages takes, or a slow round's messages go out twice.
    MAIL_LEASE_SECONDS = int(os.environ.get("MAIL_LEASE_SECONDS", "300"))

    PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "5"))
    # The public API's answers may be kept this long by browsers and proxies (they revalidate by ETag).
    API_CACHE_SECONDS = int(os.environ.get("API_CACHE_SECONDS", "60"))
    # Where cached public pages and the door's totals live: shared by every worker and node. Defaults to the
    # rate limiter's Redis; none: pages in each worker, door totals counted exactly on every request.
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL") or (
        RATELIMIT_STORAGE_URI if RATELIMIT_STORAGE_URI.startswith(("redis://", "rediss://")) else None)
    # With CACHE_REDIS_URL, door counts are shared for at most this long, and dropped after each change.
    DOOR_COUNTS_SECONDS = int(os.environ.get("DOOR_COUNTS_SECONDS", "2"))
    # The door list shows at most this many names (a search too): the rest are found by searching.
    DOOR_LIST_LIMIT = 100
    # Each door phone asks this often who of the names on its screen another phone checked in (0: never).
    DOOR_REFRESH_SECONDS = int(os.environ.get("DOOR_REFRESH_SECONDS", "10"))
    PASSWORD_RESET_HOURS = 2
    SIGNUP_LINK_HOURS = 24
    DOOR_LINK_GRACE_HOURS = 12


class DevelopmentConfig(Config):
    pass


    # Addresses that "Fill from link" may fetch from although they are not public (and on any port): the
    # tests' local page server. Never read from the environment: no deployment can turn the SSRF guard
    # off (organizer/services/coverage/safefetch.py).
    LINK_FETCH_TEST_ADDRESSES: ClassVar[frozenset[str]] = frozenset()


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-with-enough-length-1234567890"  # noqa: S105 - the tests' own, never deployed
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_ENABLED = False
    MAIL_BACKEND = "memory"
    BASE_URL = "http://localhost"
    SERVER_NAME = None
    PUBLIC_CACHE_SECONDS = 0
    CACHE_REDIS_URL = None  # own pages, exact door counts, whatever the environment says (tests ask for Redis)
    DOOR_COUNTS_SECONDS = 0


class ProductionConfig(Config):
    REQUIRE_STRONG_SECRET_KEY = True
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and on path /.
    SESSION_COOKIE_NAME = "__Host-session" if SESSION_COOKIE_SECURE else "session"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"
    HSTS = _env_bool("HSTS", True)
    # Requests for any other Host get a 400 (Flask 3.1). Defaults to the host of BASE_URL.
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS") or [urlsplit(Config.BASE_URL).hostname or "localhost"]
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    return CONFIGS[os.environ.get("ORGANIZER_ENV", "development")]
