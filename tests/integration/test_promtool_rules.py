"""The alert rules are valid Prometheus rules, fire when they should (promtool's
own unit tests in infra/prometheus/alerts_test.yml), and each links a section of
the runbook that exists."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import is_ci

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "infra/prometheus/alerts.yml"
RULE_TESTS = REPO / "infra/prometheus/alerts_test.yml"
RUNBOOK = REPO / "docs/operations.md"


@pytest.fixture
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if is_ci():
            pytest.fail("promtool missing: infra/lib.sh installs Debian's prometheus package")
        pytest.skip("promtool missing (Debian package prometheus)")
    return path


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=REPO)


def test_the_rules_are_valid(promtool):
    result = run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_rules_unit_tests_pass(promtool):
    result = run(promtool, "test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    # At least the outbox, dead-letter and webhook alerts are exercised.
    assert {"CiaOutboxBacklog", "CiaOutboxStuck", "CiaMessageDeadLettered",
            "CiaDeadLettersPending", "CiaWebhookFailureRatio",
            "CiaWebhookDeliveryGivenUp"} <= tested


def test_a_broken_rule_is_refused(promtool, tmp_path):
    """The check above can fail: promtool refuses an invalid expression."""
    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n  - name: x\n    rules:\n      - alert: Broken\n"
                   "        expr: sum(cia_outbox_pending\n")
    assert run(promtool, "check", "rules", str(bad)).returncode != 0


def _anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the headings."""
    anchors = set()
    for heading in re.findall(r"^#+\s+(.+?)\s*$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_every_alert_says_what_to_do_and_links_the_runbook():
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    anchors = _anchors(RUNBOOK.read_text())
    assert rules
    for rule in rules:
        notes = rule["annotations"]
        assert notes["summary"] and notes["description"], rule["alert"]
        path, _, anchor = notes["runbook_url"].partition("#")
        assert path == "docs/operations.md" and anchor in anchors, (rule["alert"], anchor)
