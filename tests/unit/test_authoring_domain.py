"""Pure rules of the authoring service: transitions, merge-patch, diff, ETags, audit chain."""
from __future__ import annotations

import copy

import pytest

from cia_common.etags import parse_if_match
from cia_authoring import domain
from cia_authoring.domain import (GENESIS_HASH, NotEditable, TransitionNotAllowed,
                                  audit_entry_hash, diff, make_etag, merge_patch,
                                  verify_chain)

# --------------------------------------------------------------------------
# Operation status
# --------------------------------------------------------------------------


@pytest.mark.parametrize("current,target", [
    ("planned", "authorised"), ("planned", "cancelled"), ("authorised", "cancelled"),
    ("deployed", "completed"),
])
def test_allowed_operation_transitions(current, target):
    domain.check_operation_transition(current, target, cia_approved=False)


@pytest.mark.parametrize("current,target", [
    ("planned", "deployed"), ("planned", "completed"), ("authorised", "planned"),
    ("deployed", "cancelled"), ("completed", "planned"), ("cancelled", "authorised"),
    ("authorised", "authorised"), ("planned", "nonsense"),
])
def test_refused_operation_transitions(current, target):
    with pytest.raises(TransitionNotAllowed):
        domain.check_operation_transition(current, target, cia_approved=True)


def test_deployment_needs_an_approved_cia():
    with pytest.raises(TransitionNotAllowed, match="approved version"):
        domain.check_operation_transition("authorised", "deployed", cia_approved=False)
    domain.check_operation_transition("authorised", "deployed", cia_approved=True)


def test_only_a_planned_operation_is_authorised():
    domain.check_can_authorise("planned")
    for status in ("authorised", "deployed", "completed", "cancelled"):
        with pytest.raises(TransitionNotAllowed):
            domain.check_can_authorise(status)


def test_approval_blocker():
    assert "not been authorised" in domain.approval_blocker("planned", "LFR-2026-0001")
    assert "cancelled" in domain.approval_blocker("cancelled", "LFR-2026-0001")
    for status in ("authorised", "deployed", "completed"):
        assert domain.approval_blocker(status, "LFR-2026-0001") is None


# --------------------------------------------------------------------------
# Version status
# --------------------------------------------------------------------------


def test_only_draft_and_changes_requested_are_editable():
    for status in ("draft", "changes_requested"):
        domain.check_editable(status, 1)
        domain.check_submittable(status, 1)
    for status in ("submitted", "approved", "superseded", "withdrawn"):
        with pytest.raises(NotEditable, match=status):
            domain.check_editable(status, 3)
        with pytest.raises(NotEditable):
            domain.check_submittable(status, 3)


def test_amendment_needs_an_approval_and_no_open_version():
    domain.check_can_amend(["approved"])
    domain.check_can_amend(["superseded", "approved", "withdrawn"])
    with pytest.raises(TransitionNotAllowed, match="no approved"):
        domain.check_can_amend(["withdrawn"])
    with pytest.raises(TransitionNotAllowed, match="no approved"):
        domain.check_can_amend(["superseded", "withdrawn"])
    for open_status in ("draft", "submitted", "changes_requested"):
        with pytest.raises(TransitionNotAllowed, match="open version"):
            domain.check_can_amend(["approved", open_status])


def test_review_outcomes():
    assert domain.review_outcome_status("approved") == "approved"
    assert domain.review_outcome_status("changes_requested") == "changes_requested"
    assert domain.review_outcome_status("rejected") == "withdrawn"
    with pytest.raises(ValueError):
        domain.review_outcome_status("maybe")
    assert domain.review_applies_to("submitted")
    assert not any(domain.review_applies_to(s) for s in
                   ("draft", "changes_requested", "approved", "superseded", "withdrawn"))


def test_amendment_content_renumbers_the_header_only():
    approved = {"header": {"version": 1, "status": "approved", "title": "T"}, "risks": [{"a": 1}]}
    content = domain.amendment_content(approved, 2)
    assert content == {"header": {"version": 2, "status": "draft", "title": "T"},
                       "risks": [{"a": 1}]}
    assert approved["header"]["version"] == 1  # the approved content is untouched
    content["risks"][0]["a"] = 2
    assert approved["risks"][0]["a"] == 1
    assert domain.amendment_content({"deployment": {}}, 3) == {"deployment": {}}


def test_content_reference_must_name_the_operation():
    assert domain.content_reference_error({}, "LFR-2026-0001") is None
    assert domain.content_reference_error({"header": {"title": "x"}}, "LFR-2026-0001") is None
    assert domain.content_reference_error(
        {"header": {"operation_reference": "LFR-2026-0001"}}, "LFR-2026-0001") is None
    assert "LFR-2026-0002" in domain.content_reference_error(
        {"header": {"operation_reference": "LFR-2026-0002"}}, "LFR-2026-0001")


# --------------------------------------------------------------------------
# Post-deployment review (section 13)
# --------------------------------------------------------------------------

PDR = {"post_deployment_review": {"total_alerts": 0}}


def _pdr_blocker(content, amended_from, status):
    return domain.post_deployment_review_blocker(content, amended_from=amended_from,
                                                 operation_status=status,
                                                 operation_reference="LFR-2026-0001")


def test_a_version_without_outcome_record_is_never_held_back():
    for content in ({}, {"risks": []}, {"post_deployment_review": None},
                    {"post_deployment_review": {}}, "not content"):
        for status in ("planned", "authorised", "deployed"):
            assert _pdr_blocker(content, None, status) is None
            assert not domain.approval_completes_operation(content, status)


def test_the_outcome_record_comes_in_an_amendment_after_the_deployment():
    assert "amendment" in _pdr_blocker(PDR, None, "deployed")  # never in version 1
    for status in ("planned", "authorised", "cancelled"):
        reason = _pdr_blocker(PDR, 1, status)
        assert f"LFR-2026-0001 is {status}" in reason and "deployed" in reason
    assert _pdr_blocker(PDR, 1, "deployed") is None
    assert _pdr_blocker(PDR, 2, "completed") is None  # a correction of the outcome record


def test_approving_the_outcome_record_completes_a_deployed_operation_only():
    assert domain.approval_completes_operation(PDR, "deployed")
    for status in ("planned", "authorised", "completed", "cancelled"):
        assert not domain.approval_completes_operation(PDR, status)


# --------------------------------------------------------------------------
# JSON merge-patch (RFC 7396, including the examples of its appendix A)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("target,patch,result", [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_merge_patch_rfc7396_examples(target, patch, result):
    assert merge_patch(target, patch) == result


def test_merge_patch_leaves_its_inputs_alone():
    target = {"deployment": {"camera_positions": ["a", "b"], "use_case": "event_pso"}}
    patch = {"deployment": {"camera_positions": ["c"]}}
    before_t, before_p = copy.deepcopy(target), copy.deepcopy(patch)
    out = merge_patch(target, patch)
    out["deployment"]["camera_positions"].append("d")
    assert target == before_t and patch == before_p
    assert out["deployment"]["use_case"] == "event_pso"


# --------------------------------------------------------------------------
# Field-level diff
# --------------------------------------------------------------------------


def test_diff_reports_each_changed_field_by_pointer():
    old = {"header": {"title": "A", "version": 1}, "risks": [{"risk": "r1", "owner": "x"}],
           "legal_basis": {"necessity": "n"}}
    new = {"header": {"title": "B", "version": 2}, "risks": [{"risk": "r1", "owner": "y"},
                                                              {"risk": "r2"}],
           "watchlist": {"size": 3}}
    assert diff(old, new) == [
        {"op": "changed", "pointer": "/header/title", "old": "A", "new": "B"},
        {"op": "changed", "pointer": "/header/version", "old": 1, "new": 2},
        {"op": "removed", "pointer": "/legal_basis", "old": {"necessity": "n"}, "new": None},
        {"op": "changed", "pointer": "/risks/0/owner", "old": "x", "new": "y"},
        {"op": "added", "pointer": "/risks/1", "old": None, "new": {"risk": "r2"}},
        {"op": "added", "pointer": "/watchlist", "old": None, "new": {"size": 3}},
    ]


def test_diff_of_equal_documents_is_empty_and_json_typed():
    doc = {"a": [1, {"b": None}], "c": 1.0}
    assert diff(doc, copy.deepcopy(doc)) == []
    assert diff({"a": 1}, {"a": 1.0}) == []
    assert diff({"a": True}, {"a": 1}) == [{"op": "changed", "pointer": "/a", "old": True, "new": 1}]
    assert diff({"a": [1, 2, 3]}, {"a": [1]}) == [
        {"op": "removed", "pointer": "/a/1", "old": 2, "new": None},
        {"op": "removed", "pointer": "/a/2", "old": 3, "new": None},
    ]


def test_diff_escapes_pointer_tokens():
    assert diff({}, {"a/b": {"c~d": 1}}) == [
        {"op": "added", "pointer": "/a~1b", "old": None, "new": {"c~d": 1}}]
    assert diff({"x": {"a/b": 1}}, {"x": {"a/b": 2}})[0]["pointer"] == "/x/a~1b"


def test_diff_type_change_is_a_change_of_the_field():
    assert diff({"a": {"b": 1}}, {"a": [1]}) == [
        {"op": "changed", "pointer": "/a", "old": {"b": 1}, "new": [1]}]


# --------------------------------------------------------------------------
# Content hash
# --------------------------------------------------------------------------


def test_content_hash_ignores_key_order_but_not_values():
    a = {"b": 1, "a": {"y": "é", "x": [1, 2]}}
    b = {"a": {"x": [1, 2], "y": "é"}, "b": 1}
    assert domain.content_hash(a) == domain.content_hash(b)
    assert domain.content_hash(a) != domain.content_hash({**a, "b": 2})
    assert len(domain.content_hash(a)) == 64


# --------------------------------------------------------------------------
# ETags and If-Match
# --------------------------------------------------------------------------


def test_etag_is_strong_and_names_version_and_revision():
    tag = make_etag("abc", 2, 7)
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert tag != make_etag("abc", 2, 8) != make_etag("abc", 3, 7) != make_etag("abd", 2, 7)


def test_if_match_parsing():
    tag = make_etag("abc", 1, 1)
    assert parse_if_match(None) is None
    assert parse_if_match("   ") is None
    assert parse_if_match(tag).matches(tag)
    assert not parse_if_match(make_etag("abc", 1, 2)).matches(tag)
    assert parse_if_match(f'"x", {tag}').matches(tag)
    assert parse_if_match(f'"x",{tag} , "y"').tags == ('"x"', tag, '"y"')
    assert parse_if_match("*").matches(tag)
    # If-Match uses the strong comparison: a weak tag never matches.
    assert not parse_if_match(f"W/{tag}").matches(tag)
    # Unquoted (malformed) values never match.
    assert not parse_if_match(tag.strip('"')).matches(tag)
    assert parse_if_match('"a,b", "c"').tags == ('"a,b"', '"c"')


# --------------------------------------------------------------------------
# Audit chain
# --------------------------------------------------------------------------


def _chain(n: int) -> list[dict]:
    entries, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        e = {"cia_id": "c1", "seq": i, "actor_sub": "u", "actor_name": "U", "action": f"a{i}",
             "version": 1, "at": f"2026-05-0{i}T00:00:00Z", "content_sha256": "0" * 64,
             "detail": {"i": i}, "prev_hash": prev}
        e["entry_hash"] = audit_entry_hash(prev, e)
        prev = e["entry_hash"]
        entries.append(e)
    return entries


def test_audit_hash_covers_every_field_and_the_previous_hash():
    e = _chain(1)[0]
    base = audit_entry_hash(GENESIS_HASH, e)
    assert base == e["entry_hash"]
    for key in domain.AUDIT_FIELDS:
        changed = {**e, key: "tampered"}
        assert audit_entry_hash(GENESIS_HASH, changed) != base, key
    assert audit_entry_hash("1" * 64, e) != base
    # Storage-only keys are not part of the hashed entry.
    assert audit_entry_hash(GENESIS_HASH, {**e, "id": 99}) == base


def test_verify_chain_finds_the_first_break():
    assert verify_chain([]) is None
    chain = _chain(4)
    assert verify_chain(chain) is None

    edited = copy.deepcopy(chain)
    edited[2]["actor_name"] = "Someone else"
    brk = verify_chain(edited)
    assert (brk.index, brk.seq) == (2, 3) and "entry_hash" in brk.reason

    dropped = chain[:1] + chain[2:]
    brk = verify_chain(dropped)
    assert brk.index == 1 and "seq" in brk.reason

    rehashed = copy.deepcopy(chain)
    rehashed[1]["detail"] = {"i": 42}
    rehashed[1]["entry_hash"] = audit_entry_hash(rehashed[1]["prev_hash"], rehashed[1])
    brk = verify_chain(rehashed)  # a forged entry breaks its successor's link
    assert brk.index == 2 and "prev_hash" in brk.reason
