"""Absolute links for emails, calendar files, QR codes and pages to share, built from BASE_URL: never from the
request's Host header, so a link is the same in a page, an email the worker writes, or a CLI command."""

from __future__ import annotations

from typing import Any

from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return current_app.config["BASE_URL"].rstrip("/") + adapter.build(endpoint, values)
