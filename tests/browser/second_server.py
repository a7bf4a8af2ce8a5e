"""A second app server, in a process of its own, on the test database: for tests that need two app
processes (figures must agree across them). ``python -m tests.browser.second_server URL [JSON]``
prints its port, then serves until it is killed."""

from __future__ import annotations

import json
import sys

from werkzeug.serving import make_server

from tests.conftest import make_test_app


def main() -> None:
    overrides = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    app = make_test_app(sys.argv[1], **overrides)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
