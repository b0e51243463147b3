"""Request and response schemas of the CIA endpoints (they document the OpenAPI)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from cia_common.fields import PersonSchema
from cia_schemas.content import CiaContentSchema, VERSION_STATUSES


class ContentField(fields.Nested):
    """CIA content, documented as ``CiaContent`` (with ``x-disclosure`` on every
    field) but passed through as raw JSON: the service validates it as a draft or
    for submission and stores exactly what was sent."""

    def __init__(self, **kwargs):
        super().__init__(CiaContentSchema, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("Content must be a JSON object.")
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return value


# --------------------------------------------------------------------------
# CIAs
# --------------------------------------------------------------------------


class CiaCreateSchema(Schema):
    operation_id = fields.String(required=True, metadata={"description": "The operation's id."})
    content = ContentField(required=True, metadata={
        "description": "CIA content; a draft may be partial but every value given must be valid. "
                       "What submission requires: see CiaContent (x-required-for-submission)."})


class CiaPatchSchema(Schema):
    content = ContentField(required=True, metadata={
        "description": "JSON merge-patch (RFC 7396) of the content: objects merge, null removes "
                       "a member, arrays replace."})


class SubmitSchema(Schema):
    requested_reviewers = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                                      load_default=list,
                                      metadata={"description": "Reviewers (subs) asked to review."})


class AmendmentSchema(Schema):
    reason = fields.String(required=True, validate=validate.Regexp(r"\S", error="A reason is required."),
                           metadata={"description": "Why the approved CIA is amended."})


class RevisionSchema(Schema):
    reason = fields.String(required=True, validate=validate.Regexp(r"\S", error="A reason is required."),
                           metadata={"description": "Why the rejected version is revised, e.g. "
                                                    "what was changed in answer to the reviewer."})


class SectionCommentSchema(Schema):
    section = fields.String()
    comment = fields.String()


class ReviewOutcomeSchema(Schema):
    review_id = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.Nested(PersonSchema, allow_none=True)
    comment = fields.String(allow_none=True)
    section_comments = fields.List(fields.Nested(SectionCommentSchema))
    approval_blocked_reason = fields.String(allow_none=True)


class RejectionSchema(Schema):
    """The rejection a revision answers, kept visible on the revision."""
    version = fields.Integer(metadata={"description": "The rejected version."})
    review_id = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    decided_by = fields.Nested(PersonSchema, allow_none=True)
    comment = fields.String(allow_none=True)
    section_comments = fields.List(fields.Nested(SectionCommentSchema))


class TemplateProvenanceSchema(Schema):
    kind = fields.String(metadata={"description": "Template kind (cia)."})
    version = fields.Integer(metadata={"description": "Template version (0: the shipped default)."})
    sha256 = fields.String(metadata={"description": "SHA-256 of the template DOCX."})


class StoredDocumentSchema(Schema):
    kind = fields.String(metadata={"enum": ["full", "disclosure"]})
    format = fields.String(metadata={"enum": ["docx", "pdf"]})
    sha256 = fields.String()
    size = fields.Integer()
    created_at = fields.DateTime()
    template = fields.Nested(TemplateProvenanceSchema, allow_none=True, metadata={
        "description": "The template that produced it (null: stored before templates were "
                       "recorded)."})


class CiaSchema(Schema):
    id = fields.String(metadata={"description": "CIA id (UUID)."})
    operation_id = fields.String()
    operation_reference = fields.String()
    version = fields.Integer(metadata={"description": "Number of the version shown."})
    latest_version = fields.Integer()
    status = fields.String(metadata={"enum": list(VERSION_STATUSES)})
    content = ContentField()
    content_hash = fields.String(metadata={"description": "SHA-256 of the canonical JSON content."})
    etag = fields.String(metadata={"description": "Send as If-Match when editing."})
    revision = fields.Integer()
    author = fields.Nested(PersonSchema)
    last_editor = fields.Nested(PersonSchema)
    submitted_at = fields.DateTime(allow_none=True)
    submitted_by = fields.Nested(PersonSchema, allow_none=True)
    requested_reviewers = fields.List(fields.String())
    review = fields.Nested(ReviewOutcomeSchema, allow_none=True)
    rejection = fields.Nested(RejectionSchema, allow_none=True, metadata={
        "description": "On a revision: the rejection of the version it was revised from."})
    documents = fields.List(fields.Nested(StoredDocumentSchema), metadata={
        "description": "The documents stored for this version (approved versions only)."})
    amendment_reason = fields.String(allow_none=True)
    amended_from = fields.Integer(allow_none=True)
    revised_from = fields.Integer(allow_none=True, metadata={
        "description": "The rejected version this version was revised from."})
    revision_reason = fields.String(allow_none=True)
    status_reason = fields.String(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    superseded_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CiaQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(VERSION_STATUSES),
                           metadata={"description": "Status of the latest version."})
    operation_id = fields.String()
    borough = fields.String(metadata={"description": "Borough (case-insensitive)."})


class VersionSummarySchema(Schema):
    version = fields.Integer()
    status = fields.String(metadata={"enum": list(VERSION_STATUSES)})
    content_hash = fields.String()
    author = fields.Nested(PersonSchema)
    last_editor = fields.Nested(PersonSchema)
    amendment_reason = fields.String(allow_none=True)
    amended_from = fields.Integer(allow_none=True)
    revised_from = fields.Integer(allow_none=True, metadata={
        "description": "The rejected version this version was revised from."})
    revision_reason = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    superseded_at = fields.DateTime(allow_none=True)
    status_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class DiffQuerySchema(Schema):
    against = fields.Integer(validate=validate.Range(min=1),
                             metadata={"description": "Version to compare with (default: n-1)."})


class ChangeSchema(Schema):
    op = fields.String(metadata={"enum": ["added", "removed", "changed"]})
    pointer = fields.String(metadata={"description": "RFC 6901 pointer into the content."})
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class DiffSchema(Schema):
    cia_id = fields.String()
    version = fields.Integer()
    against = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))


class AuditEntrySchema(Schema):
    seq = fields.Integer()
    action = fields.String()
    version = fields.Integer(allow_none=True)
    actor = fields.Nested(PersonSchema)
    at = fields.String(metadata={"description": "ISO 8601 UTC time, exactly as hashed."})
    content_sha256 = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)
    prev_hash = fields.String()
    entry_hash = fields.String(metadata={"description": "sha256(prev_hash + canonical JSON of the entry)."})


class AuditSchema(Schema):
    cia_id = fields.String()
    chain_valid = fields.Boolean()
    entries = fields.List(fields.Nested(AuditEntrySchema))
