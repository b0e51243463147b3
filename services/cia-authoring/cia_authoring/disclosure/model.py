"""The complete text model of a disclosure copy, redacted in one place.

Everything the copy prints comes from here: the CIA content, the operation's
printed fields, the redaction log (reasons included) and the document title.
The field-level step withholds by disclosure class; then one ``Redactor``
holding every withheld value (fields, censor-rule matches, names after ranks
below the cut-off, the force-wide name register), the censor rules and the
detectors runs over all of it. ``docx.scrub_docx`` repeats the pass on the
rendered file, so text made by the template's filters (formatted dates,
labels) passes through it too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from cia_redaction.normalise import fold
from cia_redaction.redactor import Redactor, strings
from cia_redaction.rules import Rule

from cia_authoring.disclosure import redactors
from cia_authoring.documents.redaction import as_entry, withhold_fields

_WORDS = re.compile(r"[^\W_]+")


@dataclass
class CopyModel:
    content: dict
    operation: dict
    log: list[dict]
    redactor: Redactor
    # Names this copy withholds: they join the force-wide register.
    withheld_names: list[str]
    # How much of the redactor's log ``log`` holds (the log the copy prints): what the
    # pass over the rendered file finds afterwards is in ``stored_log`` only.
    logged: int = 0

    def stored_log(self) -> list[dict]:
        """The log kept with the copy (the FOI officer's view, the bundle's logs): the
        printed one and what the whole-document pass withheld from the file."""
        found = [as_entry(e) for e in self.redactor.log[self.logged:]]
        first = len(self.log)
        return self.log + [{**e, "reason": self.redactor.text(e["reason"],
                                                              f"/redaction_log/{first + i}/reason")}
                           for i, e in enumerate(found)]


def build(content: dict, operation: dict, cfg: dict, rules: Iterable[Rule] = (),
          register: Iterable[str] = ()) -> CopyModel:
    # The operation's printed fields publish the deployment (its place and times): an
    # s31 text's part they print stays open (documents.redaction).
    redacted, field_log, withheld = withhold_fields(
        content, rank_cutoff=cfg.get("DISCLOSURE_RANK_CUTOFF", "superintendent"),
        published=[v for k, v in operation.items() if k != "use_case"])
    if register:
        # Only names that can occur here: the register holds the whole force's.
        haystack = set(_WORDS.findall(fold(" ".join(strings([content, operation])))))
        register = [name for name in register if _surname_key(name) in haystack]
    redactor = redactors.redactor_for(cfg, withheld=withheld, register=register, rules=rules)
    redactor.collect({"content": redacted, "operation": operation})
    redacted = redactor.tree(redacted)
    operation = redactor.tree(operation, "/operation")
    log = [as_entry(e) for e in (*field_log, *redactor.log)]
    # The log is printed in the copy and served to FOI officers: its reasons
    # (a censor rule's own words) go through the same pass.
    log = [{**e, "reason": redactor.text(e["reason"], f"/redaction_log/{i}/reason")}
           for i, e in enumerate(log)]
    return CopyModel(redacted, operation, log, redactor, list(dict.fromkeys(withheld.names)),
                     logged=len(redactor.log))


@lru_cache(maxsize=65536)
def _surname_key(name: str) -> str:
    words = _WORDS.findall(fold(name))
    return words[-1] if words else ""
