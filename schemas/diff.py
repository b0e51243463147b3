"""Field-level differences between two CIA contents (or any JSON values).

Pure: the authoring service diffs versions with it (``GET .../versions/{n}/diff``)
and the review service shows reviewers what changed since the last round.
"""
from __future__ import annotations

from typing import Any

from .errors import join_pointer


def diff(old: Any, new: Any, pointer: str = "") -> list[dict]:
    """Field-level differences from ``old`` to ``new``.

    ``[{op: added|removed|changed, pointer, old, new}]`` with RFC 6901 pointers;
    objects and arrays are compared member by member (arrays by position), so a
    change deep in a list entry is reported at that field, not as a new list.
    """
    out: list[dict] = []
    _diff(old, new, pointer, out)
    return out


_ABSENT = object()


def _diff(old: Any, new: Any, pointer: str, out: list[dict]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            _diff(old.get(key, _ABSENT), new.get(key, _ABSENT), join_pointer(pointer, key), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            _diff(old[i] if i < len(old) else _ABSENT, new[i] if i < len(new) else _ABSENT,
                  join_pointer(pointer, i), out)
        return
    if old is _ABSENT and new is _ABSENT:
        return
    if old is _ABSENT:
        out.append({"op": "added", "pointer": pointer, "old": None, "new": new})
    elif new is _ABSENT:
        out.append({"op": "removed", "pointer": pointer, "old": old, "new": None})
    elif not _same(old, new):
        out.append({"op": "changed", "pointer": pointer, "old": old, "new": new})


def _same(a: Any, b: Any) -> bool:
    # JSON semantics: true is not 1, 1 is 1.0.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b
