"""Spreadsheet cells that are data, never formulas: the one cell writer of every CSV
and XLSX the service produces, the rule its imports read them back by, and the
same rule for the names of files inside zips (OWASP: CSV injection).

A CSV or workbook is opened in Excel or LibreOffice Calc by the FOI officer and,
once released, by the requester. A cell whose text starts with ``=`` (or, in
Excel, ``+``, ``-``, ``@``) is run as a formula there: a link to anywhere under
any label, ``WEBSERVICE``/``IMPORTXML`` sending data out, ``=cmd|…`` offering to
run a command. Text written into the system — an operation's location or
borough, a row of an imported grid, a censor rule's reason — must stay text.

The rule, for text cells (numbers — ``int``, ``float``, ``Decimal``, not ``bool`` —
are written as they are; ``None`` is a blank cell):

- **Export** (``cell``, ``quote``): a text that begins, after any ``'`` and spaces
  in front, with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets one
  ``'`` more in front. ``=1+2`` is written ``'=1+2``; ``'=1+2`` (a text that
  looks escaped already) ``''=1+2``; ``O'Brien`` and ``'Tis`` as they are. Every
  text written then begins with ``'`` or with a character no spreadsheet starts
  a formula with; the apostrophe is shown, which says the text is quoted.
- **Import** (``unquote``): a cell of that shape — a ``'`` followed, after any
  further ``'`` and spaces, by one of those characters — loses its first ``'``.
  So ``unquote(quote(text)) == text`` for every text: an export imported again
  gives back the original value, hostile or not. Any other cell is kept as it is.
- **XLSX** (``set_cell``, ``workbook``): text cells are strings (``data_type``
  ``s``), never formulas (``f``) or error values, with no ``'`` added (a string
  cell is never evaluated); one that would read as a formula is marked
  ``quotePrefix``, as a spreadsheet marks a typed ``'=…``. Characters XML cannot
  hold are dropped.
- **Files in zips** (``file_name``): a name never begins with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return; the first such character becomes ``_``.

Pure: no Flask, SQLAlchemy or database; ``openpyxl`` only when a workbook is made.
"""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any, Iterable

FORMULA_STARTS = frozenset("=+-@\t\r")
QUOTE = "'"
# What XML 1.0 cannot hold (openpyxl refuses it): C0 controls but tab, LF and CR.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet may read ``text`` as a formula: its first character
    after leading spaces is one of ``FORMULA_STARTS``."""
    return text.lstrip(" ")[:1] in FORMULA_STARTS


def _quotable(text: str) -> bool:
    # A formula-like text, or one that already looks quoted ('=…, ''=…, ' =…).
    return looks_like_formula(text.lstrip(QUOTE))


def quote(text: str) -> str:
    """The text as a CSV cell: one ``'`` more in front of a formula-like text."""
    return QUOTE + text if _quotable(text) else text


def unquote(text: str) -> str:
    """The text a cell written by ``quote`` was made from (the import side)."""
    return text[1:] if text.startswith(QUOTE) and _quotable(text) else text


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def cell(value: Any) -> Any:
    """A value as a CSV cell: numbers as they are, ``None`` blank, anything else
    as quoted text."""
    if value is None:
        return ""
    if is_number(value):
        return value
    return quote(str(value))


def cells(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]


class Writer:
    """``csv.writer`` whose every cell goes through ``cell``."""

    def __init__(self, f, *args, **kwargs) -> None:
        self._writer = csv.writer(f, *args, **kwargs)

    @property
    def dialect(self):
        return self._writer.dialect

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(cells(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(f, *args, **kwargs) -> Writer:
    """A drop-in for ``csv.writer`` that writes every cell as data."""
    return Writer(f, *args, **kwargs)


class Made(dict):
    """Cells already made by ``cell`` (see ``made``): what several rows share, made once."""


def made(row: dict) -> Made:
    return Made((k, cell(v)) for k, v in row.items())


class DictWriter(csv.DictWriter):
    """A drop-in for ``csv.DictWriter`` that writes every cell (the header too) as data."""

    def __init__(self, f, fieldnames, *args, **kwargs) -> None:
        super().__init__(f, fieldnames, *args, **kwargs)
        self._fields = frozenset(self.fieldnames)

    def writerow(self, rowdict: dict, shared: Made | None = None):
        """``shared``: cells of this row made before (``made``), for many rows alike."""
        if shared is not None and not isinstance(shared, Made):
            raise TypeError("shared cells must come from cells.made")
        if self.extrasaction == "raise":
            extra = rowdict.keys() - self._fields - (shared.keys() if shared else set())
            if extra:
                raise ValueError("dict contains fields not in fieldnames: "
                                 + ", ".join(repr(x) for x in extra))
        # The row's list built here in one pass (csv.DictWriter checks and copies
        # every row again): a bundle's index has a row per file.
        restval = cell(self.restval)
        shared = shared or {}
        return self.writer.writerow([
            cell(rowdict[k]) if k in rowdict else shared.get(k, restval)
            for k in self.fieldnames])

    def writerows(self, rowdicts: Iterable[dict]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)


# --------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------


def set_cell(target, value: Any) -> None:
    """Write ``value`` into an openpyxl cell: a number as a number, ``None`` as an
    empty cell, anything else as a string cell (never a formula)."""
    if value is None or is_number(value):
        target.value = value
        return
    text = _NOT_IN_XML.sub("", str(value))
    target.value = text  # openpyxl takes "=…" for a formula and "#N/A" for an error …
    target.data_type = "s"  # … a string it is
    if looks_like_formula(text):
        target.quotePrefix = True


def workbook(rows: Iterable[Iterable[Any]], *, title: str = "Sheet1") -> bytes:
    """An .xlsx workbook of one sheet holding ``rows`` (the header first)."""
    import openpyxl  # only a workbook needs it

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            set_cell(sheet.cell(row=r, column=c), value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------
# Names of files inside zips
# --------------------------------------------------------------------------


def file_name(name: str) -> str:
    """``name`` for a file or folder inside a zip: a leading formula character
    (after leading spaces, which are dropped) becomes ``_``."""
    name = name.lstrip(" ")
    return "_" + name[1:] if name[:1] in FORMULA_STARTS else name
