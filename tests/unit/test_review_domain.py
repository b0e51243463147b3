"""Review policy: who may decide, what decisions do, due times and reminders."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cia_common.web.problems import status_of
from cia_review.reviews.policy import (
    DecisionConflict,
    InvalidRequest,
    NotPermitted,
    ReviewersSource,
    ReviewSnapshot,
    ReviewState,
    SubmissionAction,
    check_may_decide,
    check_reassignment,
    choose_reviewers,
    due_time,
    next_notification_at,
    notifications_due,
    on_submission,
    state_after,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def snap(**kw) -> ReviewSnapshot:
    base = dict(state="open", author_sub="author", last_editor_sub="editor",
                reviewers=("rev-a", "rev-b"), approvals_required=1)
    base.update(kw)
    return ReviewSnapshot(**base)


# --- who may decide -------------------------------------------------------

@pytest.mark.parametrize("sub, word", [("author", "author"), ("editor", "last edited")])
def test_author_and_last_editor_may_never_decide(sub, word):
    s = snap(reviewers=("author", "editor", "rev-a"))
    for decision in ("approve", "request_changes", "reject"):
        with pytest.raises(NotPermitted) as err:
            check_may_decide(s, sub, decision, "looks fine")
        assert word in err.value.detail
        assert status_of(err.value) == 403


def test_named_reviewers_only():
    with pytest.raises(NotPermitted) as err:
        check_may_decide(snap(), "someone-else", "approve", "")
    assert "named reviewers" in err.value.detail
    check_may_decide(snap(), "rev-b", "approve", "")  # does not raise


def test_no_named_reviewers_means_any_reviewer():
    check_may_decide(snap(reviewers=()), "anyone", "approve", "")


def test_one_decision_per_reviewer_per_round():
    with pytest.raises(DecisionConflict) as err:
        check_may_decide(snap(decided_by=frozenset({"rev-a"})), "rev-a", "approve", "")
    assert status_of(err.value) == 409


@pytest.mark.parametrize("state", ["approved", "rejected", "changes_requested", "superseded"])
def test_closed_review_takes_no_decisions(state):
    with pytest.raises(DecisionConflict) as err:
        check_may_decide(snap(state=state), "rev-a", "approve", "")
    assert state in err.value.detail


@pytest.mark.parametrize("comment", [None, "", "   \n"])
def test_request_changes_needs_a_comment(comment):
    with pytest.raises(InvalidRequest) as err:
        check_may_decide(snap(), "rev-a", "request_changes", comment)
    assert err.value.pointer == "/comment"
    assert status_of(err.value) == 422
    check_may_decide(snap(), "rev-a", "request_changes", "Fix section 6")


def test_unknown_decision_is_invalid():
    with pytest.raises(InvalidRequest):
        check_may_decide(snap(), "rev-a", "shrug", "")


# --- what decisions do ----------------------------------------------------

def test_approvals_are_counted_against_the_requirement():
    two = snap(approvals_required=2)
    assert state_after(two, "approve") is ReviewState.OPEN
    assert state_after(snap(approvals_required=2, approvals=1), "approve") is ReviewState.APPROVED
    assert state_after(snap(), "approve") is ReviewState.APPROVED


def test_reject_and_request_changes_close_at_once():
    s = snap(approvals_required=3, approvals=2)
    assert state_after(s, "reject") is ReviewState.REJECTED
    assert state_after(s, "request_changes") is ReviewState.CHANGES_REQUESTED


# --- opening ---------------------------------------------------------------

def test_requested_reviewers_win_over_the_pool():
    assert choose_reviewers([" r1", "r2", "r1", ""], ["p1"]) == (("r1", "r2"), ReviewersSource.REQUESTED)
    assert choose_reviewers([], ["p1", "p2"]) == (("p1", "p2"), ReviewersSource.POOL)
    assert choose_reviewers(None, []) == ((), ReviewersSource.ANY)


@pytest.mark.parametrize("latest, same, expected", [
    (None, False, SubmissionAction.OPEN_FIRST_ROUND),
    ("open", True, SubmissionAction.DUPLICATE),
    ("open", False, SubmissionAction.SUPERSEDE_AND_REOPEN),
    ("changes_requested", True, SubmissionAction.OPEN_NEW_ROUND),
    ("approved", False, SubmissionAction.IGNORE),
    ("rejected", False, SubmissionAction.IGNORE),
])
def test_what_a_submission_does(latest, same, expected):
    assert on_submission(latest, same) is expected


# --- reassignment ------------------------------------------------------------

def test_reassignment_rules():
    s = snap()
    assert check_reassignment(s, "admin-1", True, ["x", " y", "x"], "leave") == ("x", "y")
    assert check_reassignment(s, "rev-a", False, ["rev-c"], "conflict") == ("rev-c",)
    with pytest.raises(NotPermitted):
        check_reassignment(s, "outsider", False, ["outsider"], "I want it")
    with pytest.raises(InvalidRequest) as err:
        check_reassignment(s, "admin-1", True, ["x"], "  ")
    assert err.value.pointer == "/reason"
    with pytest.raises(InvalidRequest) as err:
        check_reassignment(s, "admin-1", True, ["x", "author"], "why")
    assert err.value.pointer == "/reviewers/1"
    with pytest.raises(DecisionConflict):
        check_reassignment(snap(state="approved"), "admin-1", True, ["x"], "why")


# --- time --------------------------------------------------------------------

def test_due_is_lead_time_before_the_planned_start():
    start = NOW + timedelta(days=5)
    assert due_time(start, NOW, lead_hours=24, min_hours=2) == start - timedelta(hours=24)


def test_due_is_never_sooner_than_the_minimum():
    start = NOW + timedelta(hours=10)
    assert due_time(start, NOW, lead_hours=24, min_hours=2) == NOW + timedelta(hours=2)
    past = NOW - timedelta(days=1)
    assert due_time(past, NOW, lead_hours=24, min_hours=3) == NOW + timedelta(hours=3)


def test_due_without_planned_start_gets_the_lead_time():
    assert due_time(None, NOW, lead_hours=24, min_hours=2) == NOW + timedelta(hours=24)


def test_reminder_then_overdue_each_once():
    due = NOW + timedelta(hours=20)
    assert notifications_due(NOW, due, None, None, 12) == []
    at_reminder = due - timedelta(hours=12)
    assert notifications_due(at_reminder, due, None, None, 12) == ["reminder"]
    assert notifications_due(at_reminder, due, at_reminder, None, 12) == []
    assert notifications_due(due, due, at_reminder, None, 12) == ["overdue"]
    assert notifications_due(due + timedelta(hours=1), due, at_reminder, due, 12) == []
    # A worker that was down through both moments sends both, reminder first.
    assert notifications_due(due + timedelta(days=1), due, None, None, 12) == ["reminder", "overdue"]


def test_next_notification_time():
    due = NOW + timedelta(hours=20)
    assert next_notification_at(due, None, None, 12) == due - timedelta(hours=12)
    assert next_notification_at(due, NOW, None, 12) == due
    assert next_notification_at(due, NOW, NOW, 12) is None
