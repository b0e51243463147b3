"""Request and response bodies of the reviewer register API (documented in its OpenAPI)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class ReviewerSchema(Schema):
    """An entry of the reviewer register."""
    sub = fields.String(metadata={"description": "The reviewer's stable user id (token `sub`)."})
    name = fields.String()
    email = fields.String(allow_none=True)
    active = fields.Boolean(metadata={
        "description": "Only active reviewers are assigned reviews, get action links and may "
                       "be named by an integration."})
    source = fields.String(metadata={
        "enum": ["admin", "token", "settings"],
        "description": "How the entry was made: by an admin, by the reviewer's first act "
                       "with a reviewer token, or from REVIEWERS / REVIEWER_POOL."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReviewerCreateSchema(Schema):
    sub = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))
    active = fields.Boolean(load_default=True)


class ReviewerPatchSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=300))
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    active = fields.Boolean()


class ReviewerQuerySchema(Schema):
    active = fields.Boolean(metadata={"description": "Only active (true) or inactive (false) entries."})
