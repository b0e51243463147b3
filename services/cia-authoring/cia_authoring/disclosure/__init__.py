"""Disclosure: what an FOI officer may see of a CIA, and its release.

The redaction engine: ``normalise`` folds the written forms of one text into
one, ``detectors`` find personal data in free text, ``withheld`` matches values
withheld elsewhere in the same copy (and the force-wide name ``register``),
``rules`` runs the FOI team's censor rules on a linear-time engine, ``model``
is the redacted text model of a whole copy, and ``passes`` puts them together
into the one redaction pass every FOI-facing output goes through (``docx`` and
``pdf`` apply it to files).

The feature: ``service`` (copies and their redaction logs), ``copies``
(rendering with the censor rules, keeping copies current), ``censor_rules``,
``release`` (the release gate), ``bundle`` (released copies as one zip),
``handlers`` and ``refresh`` (the worker's part), ``models``, ``schemas``,
``views`` and ``cli`` (``cia export-disclosures``).
"""
