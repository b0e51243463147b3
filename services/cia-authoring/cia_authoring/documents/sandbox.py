"""The Jinja environment every document template renders in.

A template is a force's upload: it must not reach Python. The environment is
Jinja's immutable sandbox (no attribute that starts with ``_``, no mutation of
lists or dicts, no unsafe callables) with nothing else in reach:

- no globals at all (``range``, ``cycler``, ``joiner``, ``lipsum``, ``namespace``
  and ``dict`` are gone), and only the filters and tests :data:`SAFE_FILTERS` and
  :data:`SAFE_TESTS` name beside the document helpers;
- what a tag prints is plain data (text, numbers, dates, and lists or dicts of
  them); anything else (a loop object, ``self``) prints as nothing;
- ``*``, ``**``, ``%``, ``+`` and ``//`` take plain operands only, and a result
  that would be larger than :data:`MAX_RESULT` characters is refused before it
  is built.

The sandbox bounds what a template can reach, not how long it runs: an uploaded
template also renders in a child process under a time and memory limit
(``documents.render``).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from jinja2 import ChainableUndefined, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

# Builtin filters a template author may use (documented in docs/templates.md);
# none of them reaches an attribute by a name the template gives.
SAFE_FILTERS = ("capitalize", "default", "first", "last", "length", "lower", "replace", "round",
                "title", "trim", "truncate", "upper", "wordcount")
SAFE_TESTS = ("defined", "undefined", "none", "number", "string", "boolean", "integer", "float",
              "sequence", "mapping", "iterable", "even", "odd", "divisibleby", "in",
              "eq", "ne", "lt", "le", "gt", "ge", "==", "!=", "<", "<=", ">", ">=",
              "equalto", "lessthan", "greaterthan", "lower", "upper", "true", "false")
MAX_RESULT = 100_000  # characters (or items) one operator may produce
_MAX_EXPONENT = 64
_FORMAT_WIDTH = re.compile(r"%[^a-zA-Z%]*?(\d{4,}|\*)")

_SCALARS = (str, int, float, bool, Decimal, date, datetime, type(None))


def is_plain(value: Any, depth: int = 0) -> bool:
    """Text, numbers, dates, undefined, and lists, tuples and dicts of them."""
    if isinstance(value, (_SCALARS, Undefined)):
        return True
    if depth > 32:
        return False
    if isinstance(value, (list, tuple)):
        return all(is_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v, depth + 1) for k, v in value.items())
    return False


def _printable(value: Any) -> Any:
    if isinstance(value, Markup) or is_plain(value):
        return value
    return ""


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Autoescaping, lenient about missing values (a missing section prints
    nothing), and compiling each source once: docxtpl hands the same patched XML
    of a part to ``from_string`` on every render, and compiling costs most of it."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self, filters: dict[str, Callable]):
        super().__init__(autoescape=True, undefined=ChainableUndefined, finalize=_printable)
        self.globals.clear()
        self.filters = {name: f for name, f in self.filters.items() if name in SAFE_FILTERS}
        self.filters.update(filters)
        self.tests = {name: t for name, t in self.tests.items() if name in SAFE_TESTS}
        self._compiled: dict[str, Any] = {}

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if not (is_plain(left) and is_plain(right)):
            raise SecurityError(f"the operator {operator} takes text and numbers only")
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > _MAX_EXPONENT:
            raise SecurityError(f"an exponent above {_MAX_EXPONENT} is refused")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(times, int) and size * times > MAX_RESULT:
                    raise SecurityError(f"a result longer than {MAX_RESULT:,} is refused")
        if operator == "%" and isinstance(left, str) and _FORMAT_WIDTH.search(left):
            raise SecurityError("format widths of 1,000 and more are refused")
        if operator == "+":
            a, b = _size(left), _size(right)
            if a is not None and b is not None and a + b > MAX_RESULT:
                raise SecurityError(f"a result longer than {MAX_RESULT:,} is refused")
        return super().call_binop(context, operator, left, right)

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = super().from_string(source)
            if len(self._compiled) >= 64:  # a few parts per template; bounds memory
                self._compiled.clear()
            self._compiled[source] = compiled
        return compiled


__all__ = ["MAX_RESULT", "SAFE_FILTERS", "SAFE_TESTS", "SecurityError", "TemplateSandbox",
           "is_plain"]
