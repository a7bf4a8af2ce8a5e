"""The OpenAPI 3.1 description of the public API, generated from the code with apispec: each view
declares its operation with ``@operation`` (summary, parameters, response schema), the schemas come
from organizer/api/schemas.py through apispec's marshmallow plugin, and the paths from the app's
own URL map. Built once per app."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from organizer.api.schemas import ErrorSchema

API_VERSION = "1.0.0"
CURSOR = {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
          "description": "The next_cursor of the previous page (opaque)."}
LIMIT = {"name": "limit", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
         "description": "Items per page."}
WHEN = {"name": "when", "in": "query", "required": False,
        "schema": {"type": "string", "enum": ["upcoming", "past", "all"], "default": "upcoming"},
        "description": "upcoming: not over yet, soonest first; past: over, latest first; all: by start."}
PAGED = (CURSOR, LIMIT)


def operation(summary: str, schema: type[Schema], query: tuple[dict, ...] = (),
              description: str = "") -> Callable[[Callable], Callable]:
    """Declare a GET view's place in the OpenAPI document."""

    def declare(view: Callable) -> Callable:
        view.openapi = dict(summary=summary, description=description, schema=schema,  # type: ignore[attr-defined]
                            query=query)
        return view

    return declare


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


def build(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="Organizer public API",
        version=API_VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": "Public campaigns, their events and the news coverage behind them. Read-only, "
                             "no personal data, open to any origin (CORS), cached (ETag)."},
        servers=[{"url": app.config["BASE_URL"].rstrip("/")}],
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        view = app.view_functions.get(rule.endpoint)
        declared = getattr(view, "openapi", None)
        if declared is None:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in sorted(rule.arguments)]
        responses = {
            "200": {"description": "OK", "content": {"application/json": {"schema": declared["schema"]}},
                    "headers": {"ETag": {"schema": {"type": "string"}},
                                "Cache-Control": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified since the ETag sent in If-None-Match."},
            "400": _error("A parameter is not valid (a cursor, a limit, a choice)."),
        }
        if rule.arguments:
            responses["404"] = _error("No such public item.")
        spec.path(path=path, operations={"get": {
            "operationId": rule.endpoint.removeprefix("api."),
            "summary": declared["summary"],
            "description": declared["description"],
            "parameters": parameters + list(declared["query"]),
            "responses": responses,
        }})
    return spec.to_dict()
