"""gunicorn settings shipped with the app: `gunicorn -c python:organizer.gunicorn_conf`.

Used by the README's production command and deploy/systemd/organizer-web.service. Any setting can
still be overridden on the command line (`-b`, `-w`) or in GUNICORN_CMD_ARGS.
"""

from __future__ import annotations

import os

from organizer.accesslog import ACCESS_LOG_FORMAT, RedactingLogger

wsgi_app = "organizer:create_app()"
# Loopback only: nginx in front terminates TLS and serves the static files (deploy/nginx/organizer.conf).
bind = [os.environ.get("ORGANIZER_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Sync workers: requests are short and database-bound (see bench/README.md).
worker_class = "sync"
timeout = 30
graceful_timeout = 20
# A worker's memory is returned now and then; the jitter keeps workers from restarting together.
max_requests = 2000
max_requests_jitter = 200

# One line per request on stdout (journald keeps it), with capability tokens redacted and no query string.
accesslog = "-"
errorlog = "-"
logger_class = RedactingLogger
access_log_format = ACCESS_LOG_FORMAT

# gunicorn 25.1+ opens a control socket in $HOME by default; two instances on one host would share it.
control_socket_disable = True

# gunicorn's own X-Forwarded-Proto handling is left to the app's ProxyFix (PROXY_COUNT), which also
# takes the client address from X-Forwarded-For: one place decides whom to trust.
forwarded_allow_ips = ""
