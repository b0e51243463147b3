"""What a redaction says: the exemptions it cites and the marker it leaves in place.

``s40`` — FOI Act s.40(2)&(3), personal information; ``s31`` — s.31(1)(a)&(b), law
enforcement. A withheld value is replaced in place by its marker, and each redaction
is logged citing its exemption.
"""
from __future__ import annotations

S40 = "s40"
S31 = "s31"

#: What a redacted value is replaced with, in place.
MARKERS = {
    S40: "[Redacted — s.40(2)]",
    S31: "[Redacted — s.31(1)(a)(b)]",
}
#: The word every marker and every box's label on a page begins with: what a reader,
#: or OCR, still reads of a redaction whose brackets and dash are lost ("PC Redacted
#: s.40(2)"). Never a name.
MARKER_WORDS = frozenset({"Redacted", "REDACTED"})
#: The exemption cited in the redaction log.
EXEMPTIONS = {
    S40: "s.40(2)",
    S31: "s.31(1)(a)(b)",
}
DEFAULT_REASONS = {
    S40: "Personal information of police staff or outside agencies' staff "
    "(FOIA s.40(2)&(3)).",
    S31: "Law enforcement: disclosure would reveal tactics or capability "
    "(FOIA s.31(1)(a)&(b)).",
}
