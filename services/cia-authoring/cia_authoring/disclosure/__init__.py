"""Disclosure: what an FOI officer may see of a CIA.

``normalise`` folds the written forms of one text into one, ``detectors`` find
personal data in free text, ``withheld`` matches values withheld elsewhere in
the same copy (and the force-wide name register), ``rules`` runs the FOI
team's censor rules on a linear-time engine, and ``passes`` puts them together
into the one redaction pass every FOI-facing output goes through.
"""
