"""Request and response schemas of the FOI request endpoints (they document the OpenAPI)."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cia_common.fields import PersonSchema
from cia_authoring.foi_requests import answers as kinds
from cia_authoring.foi_requests.clock import MAX_EXTENSION_WORKING_DAYS
from cia_authoring.foi_requests.models import STATES


class Day(fields.Date):
    """A date the statutory clock can count from: deadlines run weeks past it, and
    bank-holiday calendars are only meaningful within a few centuries."""
    EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not self.EARLIEST <= day <= self.LATEST:
            raise ValidationError(f"The date must fall between {self.EARLIEST} and {self.LATEST}.")
        return day


TEXT = validate.Length(min=1, max=10_000)
REFERENCE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,63}$",
                            error="A reference is letters, digits and . / _ - (at most 64).")


class RequesterSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=320))
    address = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=500),
                            metadata={"description": "Postal address, if given."})
    phone = fields.String(load_default=None, allow_none=True,
                          validate=validate.Regexp(r"^[0-9 +().-]{3,50}$",
                                                   error="A phone number: digits, spaces and "
                                                         "+ ( ) . - (at most 50)."),
                          metadata={"description": "Phone number, if given."})


class QuestionSchema(Schema):
    number = fields.Integer(required=True, validate=validate.Range(min=1, max=999))
    text = fields.String(required=True, validate=TEXT)


class FoiRequestCreateSchema(Schema):
    reference = fields.String(required=True, validate=REFERENCE,
                              metadata={"example": "01.FOI.26.012345"})
    received_on = Day(required=True, metadata={"description": "Date of receipt (s.10(1)); not "
                                                             "after today."})
    requester = fields.Nested(RequesterSchema, required=True, metadata={
        "description": "Personal data: shown to FOI officers, never in the letter, the "
                       "attachments or the disclosure log."})
    questions = fields.List(fields.Nested(QuestionSchema), required=True,
                            validate=validate.Length(min=1, max=200))


class PeriodSchema(Schema):
    from_ = Day(data_key="from", load_default=None,
                        metadata={"description": "Operations planned to start on or after."})
    to = Day(load_default=None, metadata={"description": "... on or before (inclusive)."})

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ValidationError("Must not be before from.", "to")


class PublishedCopySchema(Schema):
    operation_reference = fields.String(required=True, validate=validate.Length(min=1, max=32))
    url = fields.Url(required=True, schemes={"http", "https"})


_KIND_DOC = (
    "disclosed: from/to and/or operation_references, published [{operation_reference, url}] "
    "(s.21, not attached); statistics: from/to (alerts by IC code, suppressed); published: url "
    "(s.21); not_held: reason; exempt: exemptions [s21|s31|s40] and reasoning; text: text. "
    "note: optional text for disclosed, statistics and published.")


class AnswerSchema(PeriodSchema):
    kind = fields.String(required=True, validate=validate.OneOf(kinds.KINDS),
                         metadata={"description": _KIND_DOC})
    operation_references = fields.List(fields.String(validate=validate.Length(min=1, max=32)),
                                       load_default=None, validate=validate.Length(max=500))
    published = fields.List(fields.Nested(PublishedCopySchema), load_default=None,
                            validate=validate.Length(max=500))
    url = fields.Url(load_default=None, schemes={"http", "https"})
    reason = fields.String(load_default=None, validate=TEXT)
    exemptions = fields.List(fields.String(validate=validate.OneOf(kinds.EXEMPTION_KEYS)),
                             load_default=None)
    reasoning = fields.String(load_default=None, validate=TEXT)
    text = fields.String(load_default=None, validate=TEXT)
    note = fields.String(load_default=None, validate=TEXT)

    REQUIRED = {kinds.PUBLISHED: ("url",), kinds.NOT_HELD: ("reason",),
                kinds.EXEMPT: ("exemptions", "reasoning"), kinds.TEXT: ("text",),
                kinds.STATISTICS: ("from_", "to")}
    ALLOWED = {kinds.DISCLOSED: ("from_", "to", "operation_references", "published", "note"),
               kinds.STATISTICS: ("from_", "to", "note"), kinds.PUBLISHED: ("url", "note"),
               kinds.NOT_HELD: ("reason",), kinds.EXEMPT: ("exemptions", "reasoning"),
               kinds.TEXT: ("text",)}

    @validates_schema
    def _by_kind(self, data, **kwargs):
        kind = data.get("kind")
        if kind not in self.ALLOWED:
            return
        errors = {}
        for name in self.REQUIRED.get(kind, ()):
            if not data.get(name):
                errors[self.fields[name].data_key or name] = [f"Required for a {kind} answer."]
        for name, field in self.fields.items():
            if name != "kind" and name not in self.ALLOWED[kind] and data.get(name) is not None:
                errors[field.data_key or name] = [f"Not part of a {kind} answer."]
        if kind == kinds.DISCLOSED and not (data.get("from_") or data.get("to")
                                            or data.get("operation_references")):
            errors["operation_references"] = ["A disclosed answer names a period or operations."]
        if errors:
            raise ValidationError(errors)


def answer_body(data: dict) -> dict:
    """The answer as stored: its kind and the parameters given (dates as ISO text)."""
    out = {}
    for name, value in data.items():
        if value is None:
            continue
        key = "from" if name == "from_" else name
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


class AnswerOutSchema(Schema):
    kind = fields.String()
    answered_by = fields.Nested(PersonSchema)
    answered_at = fields.DateTime()

    class Meta:
        unknown = "include"


class ClockSchema(Schema):
    started_on = fields.Date()
    extension_working_days = fields.Integer()
    extension_reason = fields.String(allow_none=True)
    clarification_requested_on = fields.Date(allow_none=True)
    clarification_note = fields.String(allow_none=True)
    clarified_on = fields.Date(allow_none=True)


class QuestionOutSchema(QuestionSchema):
    answer = fields.Raw(allow_none=True, metadata={"description": "The kind and its parameters."})


class FoiRequestSchema(Schema):
    id = fields.String()
    reference = fields.String()
    state = fields.String(metadata={"enum": list(STATES)})
    received_on = fields.Date()
    due_on = fields.Date(metadata={"description": "The 20th working day after receipt (or the "
                                                  "clarification), plus any extension."})
    statutory_due_on = fields.Date(metadata={"description": "Without the extension."})
    working_days_left = fields.Integer()
    requester = fields.Nested(RequesterSchema)
    questions = fields.List(fields.Nested(QuestionOutSchema))
    clock = fields.Nested(ClockSchema)
    approved_by = fields.Nested(PersonSchema, allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    approved_on = fields.Date(allow_none=True, metadata={"description": "The letter's date."})
    approved_letter_sha256 = fields.String(allow_none=True)
    approved_attachments_sha256 = fields.String(allow_none=True)
    sent_on = fields.Date(allow_none=True)
    within_deadline = fields.Boolean(allow_none=True)
    within_statutory_period = fields.Boolean(allow_none=True)
    history = fields.List(fields.Dict())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    proposal = fields.Dict(metadata={"description": "On a statistics answer with no figures by IC "
                                                    "code: the not_held answer it suggests."})


class FoiRequestQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(STATES))
    due_before = Day(metadata={"description": "Due before this date."})


class ClarificationRequestSchema(Schema):
    note = fields.String(required=True, validate=TEXT)
    requested_on = Day(load_default=None, metadata={
        "description": "Default: today; between the receipt and today."})


class ClarificationSchema(Schema):
    received_on = Day(required=True, metadata={
        "description": "When the clarification arrived (between its request and today): the "
                       "clock restarts."})


class ExtensionSchema(Schema):
    working_days = fields.Integer(required=True,
                                  validate=validate.Range(min=1, max=MAX_EXTENSION_WORKING_DAYS))
    reason = fields.String(required=True, validate=TEXT)
    granted_on = Day(load_default=None, metadata={
        "description": "Default: today; between the receipt and today."})


class SendSchema(Schema):
    sent_on = Day(load_default=None, metadata={
        "description": "Default: today; between the day of approval and today."})


class DocumentQuerySchema(Schema):
    format = fields.String(validate=validate.OneOf(["docx", "pdf"]))


class TimelinessQuerySchema(Schema):
    from_ = Day(data_key="from", load_default=None)
    to = Day(load_default=None)


class TimelinessRowSchema(Schema):
    month = fields.String()
    received = fields.Integer()
    answered = fields.Integer()
    within_20_working_days = fields.Integer()
    within_deadline = fields.Integer(metadata={"description": "Extensions allowed."})
    answered_late = fields.Integer()
    open_overdue = fields.Integer()
    open_in_time = fields.Integer()
    percent_within_20_working_days = fields.Float(allow_none=True)
    below_ico_threshold = fields.Boolean()


class TimelinessSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from", allow_none=True)
    to = fields.Date(allow_none=True)
    ico_threshold_percent = fields.Float()
    months = fields.List(fields.Nested(TimelinessRowSchema))
    total = fields.Nested(TimelinessRowSchema)


class LetterRedactionSchema(Schema):
    where = fields.String(metadata={"description": "letter"})
    pointer = fields.String(metadata={"description": "Where in the letter: /questions/0/text, "
                                                     "/answers/2/note, /document/<part> ..."})
    detector = fields.String(metadata={"description": "What found it: withheld_value, "
                                                      "censor_rule, phone, link, ..."})
    exemption = fields.String()
    rule_id = fields.String(allow_none=True)
    reason = fields.String()
    context = fields.String(allow_none=True, metadata={
        "description": "The text as printed, redacted (never the value withheld)."})


class AttachmentRedactionsSchema(Schema):
    file = fields.String(metadata={"description": "The folder of the attachment in the zip."})
    kind = fields.String(metadata={"enum": ["cia", "legacy"]})
    cia_id = fields.String()
    version = fields.Integer()
    legacy_document_id = fields.String()
    redactions = fields.Integer()
    log = fields.List(fields.Dict(), metadata={
        "description": "Its redaction log: pointer, rule_id, detector, exemption, reason."})


class RedactionsSchema(Schema):
    request_id = fields.String()
    state = fields.String()
    letter_sha256 = fields.String(metadata={"description": "Of the letter as it is now."})
    attachments_sha256 = fields.String(metadata={"description": "Of the attachments' "
                                                                "manifest as it is now."})
    approved_letter_sha256 = fields.String(allow_none=True)
    approved_attachments_sha256 = fields.String(allow_none=True)
    letter = fields.List(fields.Nested(LetterRedactionSchema))
    attachments = fields.List(fields.Nested(AttachmentRedactionsSchema))
