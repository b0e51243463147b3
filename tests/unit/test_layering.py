"""The house rules of the code's layers, read from the source (DESIGN §3).

- Only views and entry points speak HTTP: Flask, Werkzeug and flask-smorest are
  imported by ``views.py`` modules, the app factories and the shared web kit
  (``cia_common.web``); the shared package names no service.
- ``cia_redaction`` is pure: no Flask, SQLAlchemy, Kafka, settings, service or
  contract package.
- The authoring features import in one direction, ``FEATURE_ORDER`` (written in
  docs/architecture.md): a feature imports only features before it.
- No import circle anywhere: between the modules of every package, ``bench/`` and
  ``tools/`` included (relative imports and imports inside functions count).

The import graph is built once from the source; the checks are also run on small
planted graphs, so a rule that could never fail would show.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "cia_common": ROOT / "services" / "common" / "cia_common",
    "cia_authoring": ROOT / "services" / "cia-authoring" / "cia_authoring",
    "cia_review": ROOT / "services" / "review" / "cia_review",
    "cia_notifier": ROOT / "services" / "notifier" / "cia_notifier",
    "cia_schemas": ROOT / "schemas",
    "cia_redaction": ROOT / "redaction",
    "bench": ROOT / "bench",
    "tools": ROOT / "tools",
}
INSTALLED = ("cia_common", "cia_authoring", "cia_review", "cia_notifier", "cia_schemas",
             "cia_redaction")
HTTP_LIBRARIES = ("flask", "werkzeug", "flask_smorest", "webargs")
ENTRY_POINTS = ("app.py", "wsgi.py")
SERVICES = ("cia_authoring", "cia_review", "cia_notifier")
# The authoring features, each importing only those before it (docs/architecture.md).
FEATURE_ORDER = ("operations", "cias", "documents", "disclosure", "approvals", "templates",
                 "legacy", "releases", "statistics", "foi_requests", "public")
# The public log's process (``cia_authoring.public``) can reach these and nothing else of
# the repository: no CIA content, requester, redaction pass or contract.
PUBLIC_REACH = ("cia_authoring", "cia_authoring.base", "cia_authoring.published",
                "cia_common", "cia_common.events", "cia_common.logging_setup",
                "cia_common.ratelimit")
# What a pure library may not import.
IMPURE = (*HTTP_LIBRARIES, "sqlalchemy", "alembic", "kafka", "psycopg", "cia_common",
          "cia_schemas", *SERVICES)


# --------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------


def module_name(package: str, root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def imports_of(name: str, is_package: bool, source: str) -> set[tuple[str, str]]:
    """Every module ``source`` imports, as (what it names, where to look if that is
    no module): relative imports resolved; ``from a import b`` names the module
    ``a.b`` when there is one, else ``a``. Imports inside functions count."""
    out: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update((alias.name, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            out.update((f"{module}.{alias.name}", module) for alias in node.names)
    return out


@lru_cache(maxsize=1)
def graph() -> dict[str, set[str]]:
    """Module → the modules of this repository it imports."""
    sources = {}
    for package, root in PACKAGES.items():
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue
            sources[module_name(package, root, path)] = (path.name == "__init__.py",
                                                         path.read_text(encoding="utf-8"))
    return resolve({name: imports_of(name, is_pkg, src) for name, (is_pkg, src) in sources.items()})


def resolve(raw: dict[str, set[tuple[str, str]]]) -> dict[str, set[str]]:
    known = set(raw)
    out = {}
    for name, targets in raw.items():
        edges = set()
        for named, fallback in targets:
            target = named if named in known else fallback
            while target and target not in known:
                target = target.rpartition(".")[0]  # a name inside a module: the module
            if target and target != name:
                edges.add(target)
        out[name] = edges
    return out


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    import sys
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(g):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "cia_authoring" and len(parts) > 1 and parts[1] in FEATURE_ORDER:
        return parts[1]
    return None


def back_up_imports(g: dict[str, set[str]], order=FEATURE_ORDER) -> list[tuple[str, str]]:
    rank = {f: i for i, f in enumerate(order)}
    out = []
    for module, targets in sorted(g.items()):
        here = feature_of(module)
        for target in sorted(targets):
            there = feature_of(target)
            if here and there and here != there and rank[there] > rank[here]:
                out.append((module, target))
    return out


# --------------------------------------------------------------------------
# The rules on the tree
# --------------------------------------------------------------------------


def installed_modules():
    for package in INSTALLED:
        root = PACKAGES[package]
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root)
            if "migrations" in rel.parts:
                continue
            yield package, rel, path


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def speaks_http(package: str, rel: Path) -> bool:
    if package == "cia_common":
        return rel.parts[0] == "web"
    if package == "cia_authoring" and rel.parts[0] == "public":  # an app of its own
        return rel.name in ENTRY_POINTS
    return rel.name == "views.py" or (len(rel.parts) == 1 and rel.name in ENTRY_POINTS)


ALL = list(installed_modules())
QUIET = [m for m in ALL if not speaks_http(m[0], m[1])]


@pytest.mark.parametrize("package,rel,path", QUIET, ids=[f"{p}/{r}" for p, r, _ in QUIET])
def test_only_views_and_entry_points_import_http_libraries(package, rel, path):
    http = sorted(m for m in imported(path) if m.split(".")[0] in HTTP_LIBRARIES)
    assert not http, f"{package}/{rel} imports {http}: HTTP belongs in the views"
    web_kit = sorted(m for m in imported(path) if m.startswith("cia_common.web"))
    assert not web_kit, f"{package}/{rel} imports {web_kit}: the web kit is for the views"


COMMON = [m for m in ALL if m[0] == "cia_common"]


@pytest.mark.parametrize("package,rel,path", COMMON, ids=[str(r) for _p, r, _ in COMMON])
def test_the_shared_package_names_no_service(package, rel, path):
    services = sorted(m for m in imported(path) if m.split(".")[0] in SERVICES)
    assert not services, f"cia_common/{rel} imports {services}"
    named = re.findall(r"\b(" + "|".join(SERVICES) + r")\b", path.read_text(encoding="utf-8"))
    assert not named, f"cia_common/{rel} names the service packages {sorted(set(named))}"


LIBRARY = [m for m in ALL if m[0] == "cia_redaction"]


@pytest.mark.parametrize("package,rel,path", LIBRARY, ids=[str(r) for _p, r, _ in LIBRARY])
def test_the_redaction_library_is_pure(package, rel, path):
    impure = sorted(m for m in imported(path) if m.split(".")[0] in IMPURE)
    assert not impure, f"cia_redaction/{rel} imports {impure}"


def test_the_rules_see_every_layer():
    # The checks above mean something only if they walk the real trees.
    assert sum(1 for p, _r, _ in ALL if p == "cia_authoring") > 50
    assert len(LIBRARY) >= 6 and len(COMMON) > 20
    assert any(speaks_http(p, r) for p, r, _ in ALL if p == "cia_review")
    assert any(speaks_http(p, r) for p, r, _ in ALL if p == "cia_notifier")
    g = graph()
    assert {m for m in g if m.startswith(("bench.", "tools."))}
    # Relative imports are followed (the review service writes ``from .x import y``).
    assert "cia_review.spec" in g["cia_review.app"]
    assert {feature_of(m) for m in g} >= set(FEATURE_ORDER)


def test_no_import_circle_anywhere():
    assert cycles(graph()) == []


def test_the_authoring_features_import_in_one_direction():
    assert back_up_imports(graph()) == []


def reach(g: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others (itself included)."""
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(g.get(module, ()))
    return seen


def beyond_public_reach(g: dict[str, set[str]]) -> list[tuple[str, str]]:
    out = []
    for module in sorted(m for m in g if feature_of(m) == "public"):
        for target in sorted(reach(g, module)):
            if feature_of(target) != "public" and target not in PUBLIC_REACH:
                out.append((module, target))
    return out


def test_the_public_log_reaches_only_the_published_snapshots():
    g = graph()
    assert {m for m in g if feature_of(m) == "public"} >= {"cia_authoring.public.app",
                                                           "cia_authoring.public.wsgi"}
    assert beyond_public_reach(g) == []


def test_a_planted_reach_beyond_the_snapshots_is_found():
    g = {"cia_authoring.public.app": {"cia_authoring.published"},
         "cia_authoring.published": {"cia_authoring.base"}, "cia_authoring.base": set()}
    assert beyond_public_reach(g) == []
    g["cia_authoring.published"].add("cia_common.db")  # through another module
    g["cia_common.db"] = {"cia_schemas.contracts"}
    assert beyond_public_reach(g) == [("cia_authoring.public.app", "cia_common.db"),
                                      ("cia_authoring.public.app", "cia_schemas.contracts")]


def test_the_order_is_the_one_the_architecture_document_shows():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert " → ".join(f"`{f}`" for f in FEATURE_ORDER) in text


def test_every_package_is_installed():
    # A package missing from pyproject's list works in the editable install the
    # tests use and is left out of a built wheel.
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(project["tool"]["setuptools"]["packages"])
    found = set()
    for package in INSTALLED:
        for init in PACKAGES[package].rglob("__init__.py"):
            rel = init.parent.relative_to(PACKAGES[package])
            if "migrations" not in rel.parts and "__pycache__" not in rel.parts:
                found.add(".".join((package, *rel.parts)))
    assert found - listed == set()
    assert listed - found == set()


# --------------------------------------------------------------------------
# The checks themselves, on planted graphs
# --------------------------------------------------------------------------


def test_a_planted_cycle_is_found_however_it_is_written():
    raw = {
        "pkg": set(),
        "pkg.a": imports_of("pkg.a", False, "from .b import thing\n"),
        "pkg.b": imports_of("pkg.b", False, "def f():\n    from pkg import c\n"),
        "pkg.c": imports_of("pkg.c", False, "import pkg.a\n"),
        "pkg.d": imports_of("pkg.d", False, "from pkg.a import x\n"),
    }
    assert cycles(resolve(raw)) == [["pkg.a", "pkg.b", "pkg.c"]]
    raw["pkg.c"] = set()
    assert cycles(resolve(raw)) == []


def test_a_planted_back_up_import_is_found():
    g = {"cia_authoring.cias.service": {"cia_authoring.legacy.models"},
         "cia_authoring.legacy.service": {"cia_authoring.cias.models"},
         "cia_authoring.legacy.models": set(), "cia_authoring.cias.models": set()}
    assert back_up_imports(g) == [("cia_authoring.cias.service", "cia_authoring.legacy.models")]
    g["cia_authoring.cias.service"] = set()
    assert back_up_imports(g) == []


def test_relative_imports_resolve_from_a_package_and_from_a_module():
    assert imports_of("p.q", True, "from . import r\n") == {("p.q.r", "p.q")}
    assert imports_of("p.q.m", False, "from ..s import t\n") == {("p.s.t", "p.s")}
    raw = {"p": set(), "p.q": set(), "p.q.r": set(), "p.q.m": {("p.q.r", "p.q"), ("p.q.x", "p.q")}}
    assert resolve(raw)["p.q.m"] == {"p.q.r", "p.q"}  # a submodule; a name in the package
