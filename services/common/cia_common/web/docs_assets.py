"""Swagger UI and ReDoc served by the services themselves.

Police networks are often closed to the internet: the API docs pages load
their scripts and styles from ``/docs-assets/`` on the same service, never
from a CDN. The built assets come from the pinned ``drf-spectacular-sidecar``
package (which ships Swagger UI's and ReDoc's distribution builds); it is
located, not imported, so its Django dependency is never loaded.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

PREFIX = "/docs-assets"
SWAGGER_UI_URL = f"{PREFIX}/swagger-ui-dist/"
REDOC_URL = f"{PREFIX}/redoc/bundles/redoc.standalone.js"
_PACKAGE = "drf_spectacular_sidecar"


@lru_cache(maxsize=1)
def assets_dir() -> Path:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{_PACKAGE} is not installed: the API docs pages have no assets")
    return Path(list(spec.submodule_search_locations)[0]) / "static" / _PACKAGE


def blueprint() -> Blueprint:
    bp = Blueprint("docs_assets", __name__)

    @bp.get(f"{PREFIX}/<path:filename>")
    def asset(filename: str):
        if filename.endswith(".map"):
            abort(404)  # source maps: large and not needed to read the docs
        return send_from_directory(assets_dir(), filename, max_age=86400)

    return bp
