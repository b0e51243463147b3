"""Censor rules: matching, replacement, the log, validation, fingerprints."""
from __future__ import annotations

import pytest

from cia_redaction import rules as censor
from cia_redaction.detectors import Detectors
from cia_redaction.redactor import Redactor
from cia_redaction.rules import Rule
from cia_schemas.disclosure import MARKERS

S40, S31 = MARKERS["s40"], MARKERS["s31"]


def rule(pattern, kind="literal", exemption="s40", reason="Name of a member of staff.", **kw):
    return Rule(id=kw.pop("id", "r1"), kind=kind, pattern=pattern, exemption=exemption,
                reason=reason, **kw)


def apply(doc, rules):
    """Rules alone (no detectors fire on these texts), through the one pass."""
    r = Redactor(Detectors(), rules=rules)
    out = r.tree(doc)
    return out, [{k: e[k] for k in ("pointer", "rule_id", "exemption", "reason")} for e in r.log]


def test_literal_is_case_insensitive_and_whitespace_tolerant():
    doc = {"a": "Met PC Jo  Bloggs at 10.", "b": ["pc JO\nBLOGGS left", "nobody"], "n": 3}
    out, log = apply(doc, [rule("PC Jo Bloggs")])
    assert out == {"a": f"Met {S40} at 10.", "b": [f"{S40} left", "nobody"], "n": 3}
    assert log == [
        {"pointer": "/a", "rule_id": "r1", "exemption": "s.40(2)", "reason": "Name of a member of staff."},
        {"pointer": "/b/0", "rule_id": "r1", "exemption": "s.40(2)", "reason": "Name of a member of staff."},
    ]
    assert doc["a"] == "Met PC Jo  Bloggs at 10."  # the input is not modified


@pytest.mark.parametrize("written", ["Jo\u00a0Bloggs", "JO\u2009BLOGGS", "Jo\u200bBloggs",
                                     "Jo Blo\u00adggs", "\uff2a\uff4f Bloggs"])
def test_literal_matches_after_normalisation(written):
    out, _ = apply({"t": f"Ask {written} now"}, [rule("Jo Bloggs")])
    assert out["t"] == f"Ask {S40} now"


def test_case_sensitive_regex_custom_replacement_is_literal():
    out, log = apply({"t": "Codename KESTREL and kestrel the bird"},
                     [rule(r"(KES)TREL", kind="regex", exemption="s31", case_sensitive=True,
                           replacement=r"[Operation \1]")])
    assert out["t"] == r"Codename [Operation \1] and kestrel the bird"
    assert log[0]["exemption"] == "s.31(1)(a)(b)"


def test_markers_and_earlier_replacements_are_never_rewritten():
    rules = [rule("Smith", id="a", replacement="[Officer A]"),
             rule("Officer", id="b"), rule("Redacted", id="c", exemption="s31")]
    out, log = apply({"t": f"Officer Smith wrote {S40} and {S31}."}, rules)
    assert out["t"] == f"{S40} [Officer A] wrote {S40} and {S31}."
    assert sorted(e["rule_id"] for e in log) == ["a", "b"]


def test_no_rules_leaves_everything_alone():
    doc = {"x": "The plan"}
    assert apply(doc, []) == (doc, [])


def test_catastrophic_backtracking_pattern_runs_in_linear_time():
    # A backtracking engine would not finish this search (the test's timeout
    # would fail it); RE2 answers at once.
    rx = censor.compile_pattern("regex", "(q+)+z", False)
    assert rx.search("q" * 50_000 + "x") is None
    assert rx.search("q" * 50_000 + "z") is not None


@pytest.mark.parametrize("kwargs, pointer, words", [
    ({"kind": "glob"}, "/kind", "literal or regex"),
    ({"exemption": "s99"}, "/exemption", "s40"),
    ({"reason": "  "}, "/reason", "Say why"),
    ({"pattern": ""}, "/pattern", "required"),
    ({"pattern": "x"}, "/pattern", "two characters"),
    ({"pattern": "(unclosed", "kind": "regex"}, "/pattern", "Not a usable regular expression"),
    ({"pattern": r"(a)\1", "kind": "regex"}, "/pattern", "back-references"),
    ({"pattern": r"(?=x)abc", "kind": "regex"}, "/pattern", "look-around"),
    ({"pattern": "a*", "kind": "regex"}, "/pattern", "matches empty text"),
    ({"pattern": "Bloggs", "reason": "Name of PC Bloggs."}, "/reason", "contains the text"),
    ({"pattern": "Bloggs", "replacement": "[bloggs]"}, "/replacement", "contains the text"),
    ({"replacement": "two\nlines"}, "/replacement", "One line"),
])
def test_validation_names_the_failing_field(kwargs, pointer, words):
    args = {"kind": "literal", "pattern": "PC Bloggs", "exemption": "s40",
            "reason": "Name of a junior officer.", "replacement": None, **kwargs}
    errors = censor.validate(args["kind"], args["pattern"], args["exemption"], args["reason"],
                             args["replacement"])
    assert [e["pointer"] for e in errors] == [pointer], errors
    assert words in errors[0]["detail"]


def test_a_valid_rule_has_no_errors():
    assert censor.validate("regex", r"\bPC \w+ Bloggs\b", "s40", "Junior officer's name.") == []


def test_fingerprint_names_the_rules_and_their_revisions_in_order():
    a, b = rule("one", id="a"), rule("two", id="b")
    assert censor.fingerprint([]) == censor.NO_RULES
    assert censor.fingerprint([a, b]) != censor.fingerprint([b, a])
    assert censor.fingerprint([a]) != censor.fingerprint([rule("one", id="a", revision=2)])
    assert censor.fingerprint([a]) == censor.fingerprint([rule("changed text", id="a")])
