"""Every test module of a layer carries that layer's marker, so ``-m`` selects
the whole layer (``-m "not integration"`` must not quietly run some of it)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def layer_marker(path: Path) -> str | None:
    """The source of the module's ``pytestmark``, or None if it has tests but none."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            return ast.get_source_segment(path.read_text(encoding="utf-8"), node.value)
    return None


def has_tests(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(n, ast.FunctionDef) and n.name.startswith("test_") for n in tree.body)


@pytest.mark.parametrize("layer", ["integration", "e2e"])
def test_every_module_of_a_layer_is_marked(layer):
    modules = [p for p in sorted((TESTS / layer).glob("test_*.py")) if has_tests(p)]
    assert modules  # the layer was found: an empty list would prove nothing
    unmarked = [p.name for p in modules
                if f"pytest.mark.{layer}" not in (layer_marker(p) or "")]
    assert unmarked == []
