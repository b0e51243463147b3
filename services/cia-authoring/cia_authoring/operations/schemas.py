"""Request and response schemas of the operations endpoints (they document the OpenAPI)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from cia_common.fields import DateOrDateTime, PersonSchema
from cia_schemas.operation import OPERATION_STATUSES, AuthorisationSchema, OperationCreateSchema

__all__ = ["AuthorisationSchema", "OperationCreateSchema"]


# --------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------


class AuthorisationOutSchema(Schema):
    officer_name = fields.String()
    officer_rank = fields.String()
    collar_number = fields.String()
    authorised_at = fields.DateTime()
    authority_reference = fields.String()
    recorded_by = fields.Nested(PersonSchema)


_NOT_RECORDED = " Null on a historic record imported from a grid that did not record it."


class OperationSchema(OperationCreateSchema):
    id = fields.String(metadata={"description": "Operation id (UUID)."})
    use_case = fields.String(allow_none=True, metadata={
        "description": "MPS use-case category." + _NOT_RECORDED})
    watchlist_size = fields.Integer(allow_none=True, metadata={
        "description": "Number of images on the watchlist." + _NOT_RECORDED})
    match_threshold = fields.Float(allow_none=True, metadata={
        "description": "Face-match threshold." + _NOT_RECORDED})
    camera_count = fields.Integer(allow_none=True, metadata={
        "description": "Number of cameras." + _NOT_RECORDED})
    status = fields.String(metadata={"enum": list(OPERATION_STATUSES)})
    authorisation = fields.Nested(AuthorisationOutSchema, allow_none=True,
                                  metadata={"description": "Null until recorded."})
    cia_id = fields.String(allow_none=True, metadata={"description": "The operation's CIA, if any."})
    created_by = fields.Nested(PersonSchema)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class OperationQuerySchema(Schema):
    borough = fields.String(metadata={"description": "Borough (case-insensitive)."})
    status = fields.String(validate=validate.OneOf(OPERATION_STATUSES))
    from_ = DateOrDateTime(data_key="from", metadata={"description": "Planned start on or after."})
    to = DateOrDateTime(upper=True, metadata={"description": "Planned start before (a date: that day included)."})


class OperationStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(OPERATION_STATUSES),
                           metadata={"description": "authorised → deployed (needs an approved CIA) "
                                                    "→ completed; planned/authorised → cancelled."})
