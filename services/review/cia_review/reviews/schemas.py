"""Request and response bodies of the review API (documented in its OpenAPI)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from cia_schemas.content import SECTIONS

from .policy import Decision, ReviewersSource, ReviewState

_SUB = fields.String(validate=validate.Length(min=1, max=200))


class PersonSchema(Schema):
    sub = fields.String(required=True, metadata={"description": "Stable user id."})
    name = fields.String(required=True)


class SectionCommentSchema(Schema):
    section = fields.String(required=True, validate=validate.OneOf(SECTIONS),
                            metadata={"description": "The CIA content section the comment is about."})
    comment = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class DecisionRequestSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf([d.value for d in Decision]))
    comment = fields.String(load_default="", validate=validate.Length(max=20_000),
                            metadata={"description": "Required for request_changes."})
    section_comments = fields.List(fields.Nested(SectionCommentSchema), load_default=list,
                                   validate=validate.Length(max=200))


class ReassignRequestSchema(Schema):
    reviewers = fields.List(_SUB, required=True, validate=validate.Length(min=1, max=50),
                            metadata={"description": "Subs of the reviewers from now on."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReviewQuerySchema(Schema):
    cia_id = fields.String(metadata={"description": "Only reviews of this CIA."})
    state = fields.String(validate=validate.OneOf([s.value for s in ReviewState]))
    assigned_to = fields.String(metadata={
        "description": "Only reviews naming this reviewer (`me` for the caller). Reviews open "
                       "to any reviewer name nobody."})


class DecisionSchema(Schema):
    id = fields.String()
    reviewer = fields.Nested(PersonSchema)
    decision = fields.String()
    comment = fields.String()
    section_comments = fields.List(fields.Nested(SectionCommentSchema))
    channel = fields.String(metadata={"description": "api, link or inbound:<integration>."})
    decided_at = fields.DateTime()


class ReassignmentSchema(Schema):
    previous_reviewers = fields.List(fields.String())
    reviewers = fields.List(fields.String())
    reason = fields.String()
    by = fields.Nested(PersonSchema)
    at = fields.DateTime()


class DocumentDownloadSchema(Schema):
    reviewer = fields.String(metadata={"description": "The sub of the link's holder."})
    version = fields.Integer()
    format = fields.String(metadata={"enum": ["docx", "pdf"]})
    sha256 = fields.String()
    size = fields.Integer()
    at = fields.DateTime()


class ReviewLinksSchema(Schema):
    review_api = fields.String()
    cia_api = fields.String()


class ReviewSchema(Schema):
    id = fields.String()
    cia_id = fields.String()
    version = fields.Integer()
    round = fields.Integer(metadata={"description": "1, then +1 for each resubmission of the version."})
    state = fields.String(metadata={"enum": [s.value for s in ReviewState]})
    due_at = fields.DateTime()
    reviewers = fields.List(fields.String(), metadata={
        "description": "Who may decide; empty means any reviewer."})
    reviewers_source = fields.String(metadata={"enum": [s.value for s in ReviewersSource]})
    approvals_required = fields.Integer()
    approvals = fields.Integer()
    undecided_reviewers = fields.List(fields.String())
    operation_id = fields.String(allow_none=True)
    operation_reference = fields.String(allow_none=True)
    operation_name = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    borough = fields.String(allow_none=True)
    use_case = fields.String(allow_none=True)
    planned_start = fields.DateTime(allow_none=True)
    author = fields.Nested(PersonSchema, allow_none=True)
    last_editor = fields.Nested(PersonSchema, allow_none=True)
    submitted_by = fields.Nested(PersonSchema, allow_none=True)
    content_hash = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closed_reason = fields.String(allow_none=True, metadata={
        "description": "Why a cancelled review was closed without a decision."})
    reminded_at = fields.DateTime(allow_none=True)
    escalated_at = fields.DateTime(allow_none=True)
    decisions = fields.List(fields.Nested(DecisionSchema))
    reassignments = fields.List(fields.Nested(ReassignmentSchema))
    document_downloads = fields.List(fields.Nested(DocumentDownloadSchema), metadata={
        "description": "Downloads of the version's document through the action page's "
                       "signed links (GET /api/v1/reviews/{id} only)."})
    links = fields.Nested(ReviewLinksSchema)
