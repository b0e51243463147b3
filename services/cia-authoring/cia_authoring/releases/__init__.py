"""Releases: everything an FOI officer has released, CIA disclosure copies and legacy
documents together — the disclosures listing, bundles (one zip for a date range) and
``cia export-disclosures``. It comes after the disclosure and legacy features, whose
released items it gathers."""
