"""The authoring service's HTTP API (flask-smorest blueprints, one per feature)."""
from __future__ import annotations

from flask_smorest import Api

from . import cias, disclosures, operations
from .content_doc import document_content_schemas
from .schemas import DateOrDateTime


def register(api: Api) -> None:
    api.register_field(DateOrDateTime, "string", None)
    for module in (operations, cias, disclosures):
        api.register_blueprint(module.blp)
    document_content_schemas(api.spec)
