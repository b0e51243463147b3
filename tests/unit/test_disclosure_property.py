"""Property: a value withheld anywhere appears nowhere in the disclosure copy.

Hypothesis plants random exempt values in random s40/s31 fields, repeats them
(in other spacing, dashes, case and with zero-width characters) in random open
fields, in the operation's printed fields and in a censor rule's reason, renders
the disclosure DOCX through the same code the service uses, and reads every
part of the file with the shared leak checker.

Random inputs on every run, as many as the Hypothesis profile's ``max_examples``
(200 in the suite, 2,000 with ``--hypothesis-profile=thorough``: tests/conftest.py).
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

from hypothesis import find, given, settings
from hypothesis import strategies as st

from cia_authoring.disclosure import rendering as copy_rendering
from cia_authoring.documents import service as rendering
from cia_redaction.rules import Rule
from tests.leaks import docx_texts, found

CONTENT = json.loads((Path(__file__).parents[2] / "examples" / "cia-content.json").read_text())
CFG = {"FORCE_NAME": "Metropolitan Police Service", "DISCLOSURE_RANK_CUTOFF": "superintendent"}

# Exempt string fields (the two signatories' ranks in the example are below the cut-off).
WITHHELD = [
    ("deployment", "location_rationale"), ("deployment", "operational_timings"),
    ("intelligence_case", "summary"), ("watchlist", "composition_rationale"),
    ("engagement_log", 0, "contact_name"), ("risks", 0, "owner"),
    ("sign_off", "author", "name"), ("sign_off", "community_lead", "name"),
]
OPEN = [
    ("deployment", "site_description"), ("deployment", "signage_and_notice_plan"),
    ("legal_basis", "necessity"), ("area_profile", "local_context"),
    ("community_sentiment", "summary"), ("communications", "plan"),
    ("engagement_log", 0, "outcome"), ("engagement_log", 0, "body_name"),
    ("risks", 0, "owner_role"), ("area_profile", "area_name"),
]
OPERATION = ["name", "location_name", "borough", "ward"]
# Between the words of a repeated value: spaces (no-break, thin, narrow, doubled),
# dashes (hyphen-minus, non-breaking hyphen, en and em dash, minus sign, spaced)
# and invisible characters (zero-width space, soft hyphen).
SPACES = [" ", "\u00a0", "\u2009", "  ", "\u202f"]
DASHES = ["-", "\u2011", "\u2013", "\u2014", "\u2212", " \u2013 "]
INVISIBLE = ["\u200b ", " \u00ad", "\u200b"]
SEPARATORS = SPACES + DASHES + INVISIBLE
RULE_TARGET = "Zzyzx Kestrel"

word = st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=4, max_size=8).map(str.capitalize)
values = st.lists(word, min_size=2, max_size=3, unique=True)


@st.composite
def variants(draw, words):
    sep = draw(st.sampled_from(SEPARATORS))
    case = draw(st.sampled_from([str, str.upper, str.lower, str.title]))
    return case(sep.join(words))


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _op(**printed):
    base = {"reference": "LFR-2026-0042", "name": "Operation Harbour", "borough": "Newham",
            "ward": "Stratford", "location_name": "Stratford Broadway", "use_case": "crime_hotspot",
            "planned_start": datetime(2026, 5, 14, 9, tzinfo=timezone.utc),
            "planned_end": datetime(2026, 5, 14, 17, tzinfo=timezone.utc)}
    return SimpleNamespace(**{**base, **printed})


def render(content, op, rules):
    version = SimpleNamespace(number=1, status="approved", content=content, cia_id="c1")
    ctx, model = copy_rendering.disclosure_context(op, version, CFG, rules, [])
    return copy_rendering.render_disclosure_context(op, version, ctx, model, CFG)


def planted_copy(data) -> tuple[bytes, list[str]]:
    """A disclosure DOCX with random exempt values planted, and the values."""
    content = copy.deepcopy(CONTENT)
    planted = []
    targets = data.draw(st.lists(st.sampled_from(WITHHELD), min_size=1, max_size=3, unique=True))
    for target in targets:
        words = data.draw(values)
        _set(content, target, " ".join(words))
        planted.append(words)
    printed = {}
    for words in planted:
        for where in data.draw(st.lists(st.sampled_from(OPEN), min_size=1, max_size=3, unique=True)):
            _set(content, where, f"See {data.draw(variants(words))} today, with {RULE_TARGET}.")
        field = data.draw(st.sampled_from(OPERATION))
        printed[field] = data.draw(variants(words))
    reason = f"Asked for by {data.draw(variants(planted[0]))}."
    rules = [Rule(id="r1", kind="literal", pattern=RULE_TARGET, exemption="s31", reason=reason)]
    return render(content, _op(**printed), rules), [" ".join(words) for words in planted]


# No max_examples here: the profile's (see the module's docstring).
@settings(deadline=None)
@given(data=st.data())
def test_planted_values_never_reach_the_disclosure_docx(data):
    docx, planted = planted_copy(data)
    parts = docx_texts(docx)
    assert [(v, name) for v in planted for name, text in parts.items() if found(v, text)] == []
    # The copy was drawn, with the redactions in place.
    assert "[redacted" in parts["word/document.xml"]


def test_the_property_explores_at_least_200_random_examples():
    # The settings Hypothesis will run the property with (its attribute for them).
    used = test_planted_values_never_reach_the_disclosure_docx._hypothesis_internal_use_settings
    assert used.max_examples >= 200
    assert not used.derandomize and used.print_blob  # new inputs each run, a failure replayable


def test_the_repeats_are_drawn_with_every_kind_of_separator():
    # What the docstring promises the property plants: dashes, other spaces and
    # invisible characters between the words of a repeated value.
    words = ["Bcdf", "Ghjk"]
    for kind in (SPACES[1:], DASHES, INVISIBLE):
        example = find(variants(words), lambda v, kind=kind: any(
            v.casefold() == sep.join(words).casefold() for sep in kind))
        assert any(sep in example for sep in kind), example


def test_positive_control_the_checker_sees_a_planted_value_in_a_full_copy():
    content = copy.deepcopy(CONTENT)
    _set(content, ("communications", "plan"), "See Qwbrtz\u200b Kplmn today.")
    version = SimpleNamespace(number=1, status="approved", content=content, cia_id="c1")
    data = rendering.render_full(_op(), version, CFG)
    assert any(found("Qwbrtz Kplmn", text) for text in docx_texts(data).values())


def test_the_file_pass_redacts_what_the_template_formats():
    # The intelligence was assessed on the deployment day: withheld (s31) in its
    # field, and the template prints the open start time as "Thursday 14 May 2026";
    # only the pass over the rendered file can see that formatted form.
    content = copy.deepcopy(CONTENT)
    content["intelligence_case"]["assessed_on"] = "2026-05-14"
    content["deployment"]["start"] = "2026-05-14T10:00:00+01:00"
    content["deployment"]["end"] = "2026-05-14T18:00:00+01:00"
    version = SimpleNamespace(number=1, status="approved", content=content, cia_id="c1")
    full = docx_texts(rendering.render_full(_op(), version, CFG))
    assert any(found("14 May 2026", text) for text in full.values())
    ctx, model = copy_rendering.disclosure_context(_op(), version, CFG, [], [])
    parts = docx_texts(copy_rendering.render_disclosure_context(_op(), version, ctx, model, CFG))
    assert [name for name, text in parts.items() if found("14 May 2026", text)] == []
    assert any(e["pointer"].startswith("/document/") for e in model.redactor.log)
