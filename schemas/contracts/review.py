"""Events of the review service (topic ``cia.review.events``): review rounds, their
reviewers, reminders, escalations and outcomes."""
from __future__ import annotations

from marshmallow import fields, validate

from ..content import SECTIONS
from .base import (Contract, EventData, Part, cia_id, integer, moment, person, strings, text, url,
                   version_number)

DECISIONS = ("approve", "request_changes", "reject")
OUTCOMES = ("approved", "changes_requested", "rejected")


class Links(Part):
    review_api = url("The review in the review API.")
    cia_api = url("The CIA in the authoring API.")


class SectionComment(Part):
    section = text("The CIA content section the comment is about.",
                   validate=validate.OneOf(SECTIONS))
    comment = text("The comment.")


class DecisionEntry(Part):
    reviewer = person("Who decided.")
    decision = text("The decision.", validate=validate.OneOf(DECISIONS))
    comment = text("The reviewer's comment.", allow_none=True)
    decided_at = moment("When.", allow_none=True)


class ReviewBase(EventData):
    consumer_requires = ("review_id", "cia_id", "version")
    review_id = text("The review round's id.")
    cia_id = cia_id()
    version = version_number()
    round = integer("The round of review of this version (a resubmission opens the next).",
                    validate=validate.Range(min=1))


def _action_links():
    return fields.Dict(keys=fields.String(), values=fields.String(metadata={"format": "uri"}), required=True,
                       metadata={"description": "One-time decision links by reviewer subject. "
                                                "A webhook carries only the link of the reviewer "
                                                "its subscription is bound to, if any."})


class ReviewSummary(ReviewBase):
    operation_reference = text("The operation's reference.", allow_none=True)
    operation_name = text("The operation's name.", allow_none=True)
    title = text("The CIA's title.", allow_none=True)
    due_at = moment("When the review is due (UTC).", allow_none=True)
    reviewers = strings("The assigned reviewers (subjects).")
    links = fields.Nested(Links, required=True)


class ReviewRequestedData(ReviewSummary):
    approvals_required = integer("Approvals needed to approve the version.")
    action_links = _action_links()


class ReviewReminderData(ReviewSummary):
    action_links = _action_links()
    undecided_reviewers = strings("Assigned reviewers who have not decided yet.")


class ReviewOverdueData(ReviewSummary):
    undecided_reviewers = strings("Assigned reviewers who have not decided yet.")
    approvals = integer("Approvals so far.")
    approvals_required = integer("Approvals needed to approve the version.")


class ReviewReassignedData(ReviewSummary):
    previous_reviewers = strings("The reviewers before the change.")
    reason = text("Why the review was reassigned.")
    reassigned_by = person("Who reassigned it.")
    action_links = _action_links()


class ReviewSupersededData(ReviewBase):
    superseded_by = text("The round that replaced this one.")


class ReviewCancelledData(ReviewSummary):
    reason = text("Why the review was cancelled.", allow_none=True)
    cancelled_at = moment("When.", allow_none=True)
    undecided_reviewers = strings("Assigned reviewers who had not decided.")


class ReviewDecidedData(ReviewBase):
    decision = text("The decision recorded.", validate=validate.OneOf(DECISIONS))
    decided_by = person("Who decided.")
    approvals = integer("Approvals so far.")
    approvals_required = integer("Approvals needed to approve the version.")


class ReviewCompletedData(ReviewBase):
    """The round's outcome, which the authoring service applies to the version."""

    consumer_requires = ("cia_id", "version", "outcome")
    outcome = text("The round's outcome.", validate=validate.OneOf(OUTCOMES))
    decided_by = person("Who made the deciding decision.")
    comment = text("The deciding reviewer's comment.", allow_none=True)
    section_comments = fields.List(fields.Nested(SectionComment), required=True, metadata={
        "description": "Comments anchored to sections of the content."})
    decisions = fields.List(fields.Nested(DecisionEntry), required=True,
                            metadata={"description": "Every decision of the round."})


def contracts() -> list[Contract]:
    def c(type_, schema, summary, consumers=()):
        return Contract(type_, "review", schema, summary, tuple(consumers))

    return [
        c("review.requested", ReviewRequestedData,
          "A review round was opened; each reviewer gets a one-time decision link."),
        c("review.reminder", ReviewReminderData,
          "A review is nearly due; undecided reviewers get fresh links."),
        c("review.overdue", ReviewOverdueData, "A review is past its due time (escalation)."),
        c("review.reassigned", ReviewReassignedData,
          "A review's reviewers were changed; new reviewers get links."),
        c("review.superseded", ReviewSupersededData,
          "A newer submission replaced an open round; its links no longer work."),
        c("review.cancelled", ReviewCancelledData,
          "The version under review was withdrawn; the round is closed."),
        c("review.decided", ReviewDecidedData,
          "A reviewer decided without settling the round (e.g. one of two approvals)."),
        c("review.completed", ReviewCompletedData, "A review round reached its outcome.",
          ["authoring"]),
    ]
