"""Events of the authoring service (topic ``cia.authoring.events``): CIAs and their
versions, approvals, disclosure copies, legacy documents and FOI request cases."""
from __future__ import annotations

from marshmallow import fields, validate

from ..content import USE_CASES, VERSION_STATUSES, CiaContentSchema
from ..disclosure import EXEMPTIONS
from .base import (Contract, EventData, Part, ValidatedRaw, cia_id, day, integer, moment, person,
                   sha256, strings, text, url, version_number)



def _reference(**kwargs):
    return text("The operation's reference, e.g. LFR-2026-0042.", **kwargs)


def _review_id(**kwargs):
    return text("The review round that decided, if known.", allow_none=True, **kwargs)


# ---------------------------------------------------------------- CIAs and versions

class CiaBriefData(EventData):
    consumer_requires = ("cia_id", "version")
    cia_id = cia_id()
    version = version_number()
    operation_reference = _reference()


class CiaAmendedData(CiaBriefData):
    amended_from = integer("The approved version this amendment starts from.")
    reason = text("Why the approved CIA is amended.")


class CiaRevisedData(CiaBriefData):
    revised_from = integer("The rejected version this revision starts from.")
    reason = text("Why the rejected version is revised.")


class CiaWithdrawnData(CiaBriefData):
    operation_id = text("The operation's id.")
    previous_status = text("The version's status before it was withdrawn.",
                           validate=validate.OneOf(VERSION_STATUSES))
    reason = text("Why the version was withdrawn (its operation was cancelled).", allow_none=True)


class CiaSubmittedData(EventData):
    """Everything review needs to open a round, the full content included so that the
    reviewer's action page shows what they approve."""

    consumer_requires = ("cia_id", "version")
    cia_id = cia_id()
    version = version_number()
    operation_id = text("The operation's id.")
    operation_reference = _reference()
    operation_name = text("The operation's name.")
    title = text("The CIA's title.")
    borough = text("The operation's borough.")
    use_case = text("The operation's use case.", allow_none=True,
                    validate=validate.OneOf(USE_CASES))
    planned_start = moment("Planned start of the deployment (UTC).")
    planned_end = moment("Planned end of the deployment (UTC).")
    ward = text("The operation's ward.", allow_none=True)
    location_name = text("The operation's location.", allow_none=True)
    author = person("The version's author (may not approve it).")
    last_editor = person("The version's last editor (may not approve it).")
    submitted_by = person("Who submitted the version.")
    requested_reviewers = strings("Reviewers the planner asked for (subjects), possibly none.")
    content_hash = sha256("SHA-256 of the version's content: an approval is void if it changes.")
    content = ValidatedRaw(CiaContentSchema, required=True,
                           metadata={"description": "The version's full CIA content."})


class CiaDecisionAppliedData(CiaBriefData):
    review_id = _review_id()


class CiaApprovalBlockedData(CiaDecisionAppliedData):
    reason = text("Why the approval cannot take effect yet (the operation is not authorised).")


class StoredDocument(Part):
    kind = text("full or disclosure", validate=validate.OneOf(("full", "disclosure")))
    format = text("File format", validate=validate.OneOf(("docx", "pdf")))
    sha256 = sha256("SHA-256 of the stored file.")


class CiaApprovedData(CiaDecisionAppliedData):
    documents = fields.List(fields.Nested(StoredDocument), required=True,
                            metadata={"description": "The documents stored at approval."})


class OperationCompletedData(EventData):
    consumer_requires = ("operation_id",)
    operation_id = text("The operation's id.")
    operation_reference = _reference()
    cia_id = cia_id()
    version = version_number()


# ---------------------------------------------------------------- disclosure copies

class Template(Part):
    kind = text("Template kind.", allow_none=True)
    version = integer("Template version.", allow_none=True)
    sha256 = sha256("SHA-256 of the template file.", allow_none=True)


def _template():
    return fields.Nested(Template, required=True, allow_none=True,
                         metadata={"description": "The template the file was rendered from "
                                                  "(none: the built-in one)."})


class DisclosureReleasedData(CiaBriefData):
    released_by = person("The FOI officer who released the copy.")
    docx_sha256 = sha256("SHA-256 of the released DOCX.")
    pdf_sha256 = sha256("SHA-256 of the released PDF, if one was made.", allow_none=True)
    note = text("The officer's note.", allow_none=True)


class PreviousCopy(Part):
    docx = sha256("SHA-256 of the DOCX replaced.")
    pdf = sha256("SHA-256 of the PDF removed with it.", required=False)
    template = _template()


class DisclosureRerenderedData(CiaBriefData):
    kind = text("Always disclosure.", validate=validate.Equal("disclosure"))
    format = text("Always docx (the PDF is made from it).", validate=validate.Equal("docx"))
    reason = text("Why the copy was rendered again.")
    docx_sha256 = sha256("SHA-256 of the new DOCX.")
    previous = fields.Nested(PreviousCopy, required=True, allow_none=True,
                             metadata={"description": "The copy replaced, if there was one."})
    rules = strings("Ids of the censor rules applied.")
    release_withdrawn = fields.Boolean(required=True, metadata={
        "description": "The copy had been released: it is listed for review again."})
    template = _template()


class DisclosureNeedsReviewData(CiaBriefData):
    docx_sha256 = sha256("SHA-256 of the new DOCX, to be looked at before release.")
    reason = text("Why the released copy changed.")


class DisclosureRulesChangedData(EventData):
    rule_id = text("The censor rule's id.")
    cia_id = text("The CIA the rule is scoped to; none: every CIA.", allow_none=True)
    action = text("What happened to the rule.",
                  validate=validate.OneOf(("created", "changed", "withdrawn", "restored")))
    revision = integer("The rule's revision after the change.")
    by = person("Who changed the rule.")


class DisclosureReleaseTermsChangedData(EventData):
    term_id = text("The release term's id.")
    cia_id = text("The CIA the term is scoped to; none: every CIA.", allow_none=True)
    action = text("What happened to the term.", validate=validate.OneOf(("created", "withdrawn")))
    revision = integer("The term's revision after the change.")
    by = person("Who released or withdrew the term.")


class DisclosureRerenderRequestedData(EventData):
    consumer_requires = ("cia_id", "version")
    cia_id = cia_id()
    version = version_number()
    rule_id = text("The censor rule that changed (none: the name register or a release term "
                   "did; the cause says which).", allow_none=True)
    cause = text("What asked for it: an event id or a sentence.")
    force = fields.Boolean(metadata={"description": "Render even if the rules did not change "
                                                    "(only sent when true)."})


# ---------------------------------------------------------------- legacy documents

def _document_id():
    return text("The legacy document's id.")


class LegacyDocumentAddedData(EventData):
    document_id = _document_id()
    operation_id = text("The operation's id.")
    operation_reference = _reference()
    format = text("File format.", validate=validate.OneOf(("docx", "pdf")))
    sha256 = sha256("SHA-256 of the file as brought in.")
    size = integer("Size in bytes.")
    source = text("Where the file came from (upload, import manifest).")
    added_by = person("Who brought the document in.")


class LegacyDocumentRedactedData(EventData):
    document_id = _document_id()
    redaction_id = text("The redaction's id.")
    kind = text("A term or an area of a page.", validate=validate.OneOf(("term", "area")))
    exemption = text("The FOIA exemption cited.", validate=validate.OneOf(list(EXEMPTIONS.values())))
    redacted_sha256 = sha256("SHA-256 of the new redacted copy.", allow_none=True)
    by = person("Who added the redaction.")


class LegacyDocumentPageConfirmedData(EventData):
    document_id = _document_id()
    page = integer("The scanned page confirmed (1-based).")
    redacted_sha256 = sha256("SHA-256 of the redacted copy whose page was looked at.",
                             allow_none=True)
    by = person("The FOI officer who confirmed the page.")


class LegacyDocumentReleasedData(EventData):
    document_id = _document_id()
    operation_id = text("The operation's id.")
    operation_reference = _reference(allow_none=True)
    format = text("File format.", validate=validate.OneOf(("docx", "pdf")))
    released_sha256 = sha256("SHA-256 of the released copy (none: published elsewhere).",
                             allow_none=True)
    published_url = url("Where the document was already published, if it was.", allow_none=True)
    note = text("The officer's note.", allow_none=True)
    released_by = person("The FOI officer who released it.")


# ---------------------------------------------------------------- FOI request cases

FOI_STATES = ("open", "awaiting_clarification", "awaiting_approval", "approved", "sent")


class FoiRequestData(EventData):
    """The case, never the requester."""

    request_id = text("The FOI request's id.")
    reference = text("The FOI request's reference.")
    state = text("The case's state.", validate=validate.OneOf(FOI_STATES))
    received_on = day("The day the request was received.")
    due_on = day("The day the response is due.")
    questions = integer("How many questions the request asks.")


class FoiRequestDueSoonData(FoiRequestData):
    working_days_left = integer("Working days until due_on.")


class FoiRequestOverdueData(FoiRequestData):
    working_days_late = integer("Working days since due_on.")


class FoiRequestSentData(FoiRequestData):
    sent_on = day("The day the response was sent.")
    within_deadline = fields.Boolean(required=True,
                                     metadata={"description": "Sent on or before due_on."})


# ---------------------------------------------------------------- the contracts

def contracts() -> list[Contract]:
    def c(type_, schema, summary, consumers=()):
        return Contract(type_, "authoring", schema, summary, tuple(consumers))

    return [
        c("cia.created", CiaBriefData, "A CIA was created with its first version as a draft."),
        c("cia.updated", CiaBriefData, "The latest version's draft content changed."),
        c("cia.submitted", CiaSubmittedData, "A version was sent to review.", ["review"]),
        c("cia.amended", CiaAmendedData, "An approved CIA was amended: a new draft version."),
        c("cia.revised", CiaRevisedData, "A rejected version was revised: a new draft version."),
        c("cia.withdrawn", CiaWithdrawnData,
          "The open version was withdrawn because its operation was cancelled.", ["review"]),
        c("cia.changes_requested", CiaDecisionAppliedData,
          "Review asked for changes: the version can be edited and submitted again."),
        c("cia.rejected", CiaDecisionAppliedData, "Review rejected the version."),
        c("cia.approval_blocked", CiaApprovalBlockedData,
          "Review approved, but the operation is not authorised yet: held as submitted."),
        c("cia.approved", CiaApprovedData,
          "The version was approved; its documents were rendered and stored.", ["authoring"]),
        c("operation.completed", OperationCompletedData,
          "An approved outcome record closed the deployment."),
        c("disclosure.released", DisclosureReleasedData,
          "An FOI officer released a disclosure copy."),
        c("disclosure.rerendered", DisclosureRerenderedData,
          "A disclosure copy was rendered again (censor rules or the name register changed)."),
        c("disclosure.needs_review", DisclosureNeedsReviewData,
          "A released disclosure copy changed and must be looked at again."),
        c("disclosure.rules_changed", DisclosureRulesChangedData,
          "A censor rule was created, changed, withdrawn or restored.", ["authoring"]),
        c("disclosure.release_terms_changed", DisclosureReleaseTermsChangedData,
          "An FOI officer released a term the pass withheld, or withdrew the release.",
          ["authoring"]),
        c("disclosure.rerender_requested", DisclosureRerenderRequestedData,
          "One disclosure copy is to be checked against the rules and rendered again.",
          ["authoring"]),
        c("legacy_document.added", LegacyDocumentAddedData,
          "A CIA document written before the system was brought in."),
        c("legacy_document.redacted", LegacyDocumentRedactedData,
          "A redaction was added to a legacy document's disclosure copy."),
        c("legacy_document.page_confirmed", LegacyDocumentPageConfirmedData,
          "An FOI officer confirmed the redaction of a scanned page after looking at it."),
        c("legacy_document.released", LegacyDocumentReleasedData,
          "A legacy document's disclosure copy was released."),
        c("foi.request.received", FoiRequestData, "An FOI request was logged."),
        c("foi.request.due_soon", FoiRequestDueSoonData,
          "An FOI request's response is due within a few working days."),
        c("foi.request.overdue", FoiRequestOverdueData,
          "An FOI request's response is past its due day."),
        c("foi.request.sent", FoiRequestSentData, "An FOI request's response was sent."),
    ]
