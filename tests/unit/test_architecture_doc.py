"""docs/architecture.md and the README's layout keep up with the code."""
from __future__ import annotations

import re
from pathlib import Path

from cia_schemas.contracts import CONTRACTS, TOPICS

ROOT = Path(__file__).resolve().parents[2]


def test_every_event_type_is_in_the_architecture_table_with_its_topic():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z_.]+)` \| \w+ → `([a-z.]+)` \|", doc, re.M))
    assert rows == {t: TOPICS[c.producer] for t, c in CONTRACTS.items()}


def test_the_readme_layout_names_only_folders_that_exist():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    layout = layout[:layout.index("```", layout.index("```") + 3)]
    top = re.findall(r"^([\w./-]+)\s{2,}", layout, re.M)
    assert len(top) >= 10
    for folder in top:
        assert (ROOT / folder.rstrip("/")).is_dir(), folder
    packages = ROOT / "services" / "cia-authoring" / "cia_authoring"
    for sub in re.findall(r"^\s+(\w+)/:", layout, re.M):
        assert (packages / sub).is_dir(), sub
    # Every feature package of authoring is named.
    for pkg in packages.iterdir():
        if (pkg / "__init__.py").is_file() and pkg.name != "migrations":
            assert f"{pkg.name}/" in layout, pkg.name
