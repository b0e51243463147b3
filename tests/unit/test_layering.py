"""The house rules of the code's layers, read from the source (DESIGN §3).

Only views and entry points speak HTTP: Flask, Werkzeug and flask-smorest are
imported by ``views.py`` modules, the app factories and the shared web kit
(``cia_common.web``); nothing below them raises an HTTP problem; and the shared
package names no service.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "cia_common": ROOT / "services" / "common" / "cia_common",
    "cia_authoring": ROOT / "services" / "cia-authoring" / "cia_authoring",
    "cia_review": ROOT / "services" / "review" / "cia_review",
    "cia_notifier": ROOT / "services" / "notifier" / "cia_notifier",
    "cia_schemas": ROOT / "schemas",
}
HTTP_LIBRARIES = ("flask", "werkzeug", "flask_smorest", "webargs")
ENTRY_POINTS = ("app.py", "wsgi.py")
SERVICES = ("cia_authoring", "cia_review", "cia_notifier")


def modules():
    for package, root in PACKAGES.items():
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
    return rel.name == "views.py" or (len(rel.parts) == 1 and rel.name in ENTRY_POINTS)


ALL = list(modules())


@pytest.mark.parametrize("package,rel,path", ALL, ids=[f"{p}/{r}" for p, r, _ in ALL])
def test_only_views_and_entry_points_import_http_libraries(package, rel, path):
    if speaks_http(package, rel):
        return
    http = sorted(m for m in imported(path) if m.split(".")[0] in HTTP_LIBRARIES)
    assert not http, f"{package}/{rel} imports {http}: HTTP belongs in the views"
    web_kit = sorted(m for m in imported(path) if m.startswith("cia_common.web"))
    assert not web_kit, f"{package}/{rel} imports {web_kit}: the web kit is for the views"


@pytest.mark.parametrize("package,rel,path", [m for m in ALL if m[0] == "cia_common"],
                         ids=[str(r) for p, r, _ in ALL if p == "cia_common"])
def test_the_shared_package_names_no_service(package, rel, path):
    services = sorted(m for m in imported(path) if m.split(".")[0] in SERVICES)
    assert not services, f"cia_common/{rel} imports {services}"
    named = re.findall(r"\b(" + "|".join(SERVICES) + r")\b", path.read_text(encoding="utf-8"))
    assert not named, f"cia_common/{rel} names the service packages {sorted(set(named))}"


def test_the_rules_see_every_layer():
    # The checks above mean something only if they walk the real trees.
    assert sum(1 for p, _r, _ in ALL if p == "cia_authoring") > 50
    assert any(speaks_http(p, r) for p, r, _ in ALL if p == "cia_review")
    assert any(speaks_http(p, r) for p, r, _ in ALL if p == "cia_notifier")


def test_every_package_is_installed():
    # A package missing from pyproject's list works in the editable install the
    # tests use and is left out of a built wheel.
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(project["tool"]["setuptools"]["packages"])
    found = set()
    for package, root in PACKAGES.items():
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root)
            if "migrations" not in rel.parts and "__pycache__" not in rel.parts:
                found.add(".".join((package, *rel.parts)))
    assert found - listed == set()
    assert listed - found == set()
