"""Disclosure: what an FOI officer may see of a CIA, and its release.

The redaction engine itself is the library ``cia_redaction`` (normalisation,
detectors, withheld values, censor-rule engine, the pass, DOCX and PDF
scrubbing). This feature brings it what the system knows: ``redactors`` is the
one place a redactor for an FOI-facing output is built (the name ``register``,
censor rules, the values a copy withholds by its fields, terms, the requester);
``model`` is the redacted text model of a whole copy.

The feature: ``service`` (copies and their redaction logs), ``copies``
(rendering with the censor rules, keeping copies current), ``censor_rules``,
``release`` (the release gate), ``bundle`` (released copies as one zip),
``handlers`` and ``refresh`` (the worker's part), ``models``, ``schemas``,
``views`` and ``cli`` (``cia export-disclosures``).
"""
