"""Request and response schemas of the templates API (they document the OpenAPI)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from cia_authoring.cias.schemas import TemplateProvenanceSchema
from cia_common.fields import PersonSchema

WHICH = ("original", "active")


class TemplateVersionSchema(Schema):
    kind = fields.String(metadata={"description": "cia or foi-response."})
    version = fields.Integer(metadata={"description": "0: the default shipped with the service."})
    sha256 = fields.String(metadata={"description": "SHA-256 of the DOCX."})
    size = fields.Integer()
    active = fields.Boolean(metadata={"description": "Whether this version is in force."})
    filename = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    uploaded_by = fields.Nested(PersonSchema, allow_none=True)
    uploaded_at = fields.DateTime(allow_none=True)


class TemplateKindSchema(Schema):
    kind = fields.String()
    description = fields.String()
    active = fields.Nested(TemplateVersionSchema)


class GuideVariableSchema(Schema):
    name = fields.String(metadata={"description": "As written in a template ([] marks a list "
                                                  "item)."})
    type = fields.String()
    description = fields.String()
    section = fields.String(allow_none=True)
    disclosure = fields.String(metadata={"description": "open, s40 or s31: s40 and s31 values "
                                                        "arrive redacted in a disclosure copy."})
    example = fields.Raw(allow_none=True, metadata={"description": "From the example CIA."})
    only_in = fields.String(allow_none=True)


class GuideLoopSchema(Schema):
    name = fields.String()
    item = fields.String()
    description = fields.String()
    item_fields = fields.List(fields.String())
    usage = fields.String()


class GuideHelperSchema(Schema):
    name = fields.String()
    group = fields.String()
    description = fields.String()
    example = fields.String()


class GuideSchema(Schema):
    kind = fields.String()
    variables = fields.List(fields.Nested(GuideVariableSchema))
    loops = fields.List(fields.Nested(GuideLoopSchema))
    helpers = fields.List(fields.Nested(GuideHelperSchema))
    rules = fields.List(fields.String())


class RerenderSchema(Schema):
    template = fields.String(load_default="original", validate=validate.OneOf(WHICH), metadata={
        "description": "original: the template version the stored copy was rendered with; "
                       "active: the template in force now."})


class RerenderOutcomeSchema(Schema):
    cia_id = fields.String()
    version = fields.Integer()
    status = fields.String(metadata={"description": "rerendered, unchanged or current."})
    docx_sha256 = fields.String(allow_none=True)
    template = fields.Nested(TemplateProvenanceSchema, allow_none=True)
