"""What a planning officer, a reviewer and an FOI officer do, over HTTP."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import requests

from tests.e2e.system import System, token
from tests.support import planted_content, wait_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PLANNER = token("planner-1", "Pat Planner", "planner")
REVIEWER = token("reviewer-1", "Robin Reviewer", "reviewer")
FOI = token("foi-1", "Frances FOI", "foi")
ADMIN = token("admin-1", "Alex Admin", "admin")


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def ok(resp: requests.Response, *codes: int) -> dict:
    assert resp.status_code in (codes or (200, 201)), f"{resp.status_code}: {resp.text[:2000]}"
    return resp.json() if resp.content and "json" in resp.headers.get("Content-Type", "") else {}


def subscribe(system: System, url: str, event_types: list[str], **extra) -> dict:
    return ok(requests.post(system.url("notifier") + "/api/v1/subscriptions", headers=ADMIN,
                            json={"url": url, "event_types": event_types, **extra}, timeout=10),
              201)


def create_authorised_operation(system: System, reference: str | None = None) -> dict:
    body = example("operation.json")
    if reference:
        body["reference"] = reference
    op = ok(requests.post(system.url("authoring") + "/api/v1/operations", headers=PLANNER,
                          json=body, timeout=10), 201)
    ok(requests.post(system.url("authoring") + f"/api/v1/operations/{op['id']}/authorisation",
                     headers=PLANNER, json=example("authorisation.json"), timeout=10), 200, 201)
    return op


def content_for(operation: dict) -> dict:
    """The planted CIA content (tests/fixtures), naming the given operation in its header."""
    content = planted_content()
    content["header"]["operation_reference"] = operation["reference"]
    return content


def create_cia(system: System, operation: dict | str) -> dict:
    """A CIA with the example content for ``operation`` (the operation or its id)."""
    if isinstance(operation, str):
        operation = ok(requests.get(system.url("authoring") + f"/api/v1/operations/{operation}",
                                    headers=PLANNER, timeout=10))
    return ok(requests.post(system.url("authoring") + "/api/v1/cias", headers=PLANNER,
                            json={"operation_id": operation["id"],
                                  "content": content_for(operation)}, timeout=10), 201)


def submit(system: System, cia_id: str) -> dict:
    return ok(requests.post(system.url("authoring") + f"/api/v1/cias/{cia_id}/submit",
                            headers=PLANNER, json={}, timeout=10), 200, 201, 202)


def get_cia(system: System, cia_id: str) -> dict:
    return ok(requests.get(system.url("authoring") + f"/api/v1/cias/{cia_id}", headers=PLANNER,
                           timeout=10))


def reviews_of(system: System, cia_id: str) -> list[dict]:
    body = ok(requests.get(system.url("review") + "/api/v1/reviews", headers=REVIEWER,
                           params={"cia_id": cia_id}, timeout=10))
    return body["items"] if isinstance(body, dict) and "items" in body else body


def wait_review(system: System, cia_id: str, timeout: float = 60) -> dict:
    return wait_for(lambda: next(iter(reviews_of(system, cia_id)), None), timeout,
                    message=f"a review of CIA {cia_id}")


def decide(system: System, review_id: str, decision: str, comment: str = "Looks right.",
           headers: dict | None = None) -> requests.Response:
    return requests.post(system.url("review") + f"/api/v1/reviews/{review_id}/decisions",
                         headers=headers or REVIEWER,
                         json={"decision": decision, "comment": comment, "section_comments": []},
                         timeout=10)


def wait_status(system: System, cia_id: str, status: str, timeout: float = 60) -> dict:
    return wait_for(lambda: (lambda c: c if c["status"] == status else None)(get_cia(system, cia_id)),
                    timeout, message=f"CIA {cia_id} to become {status}")


def zip_texts(data: bytes) -> dict[str, str]:
    """Every part of a DOCX (a zip), decoded as text."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name).decode("utf-8", errors="replace") for name in zf.namelist()}
