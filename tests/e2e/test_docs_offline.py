"""The API docs pages on a closed network: a headless Chromium opens /docs and
/redoc of each service with every request to a non-local host blocked, and
finds the rendered operations; the pages did not even try to reach outside."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.test_action_link_browser import browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

# An operation of each service, as its docs page renders the path.
PATHS = {"authoring": "/api/v1/cias", "review": "/api/v1/reviews",
         "notifier": "/api/v1/subscriptions"}


def test_docs_pages_work_without_the_internet(make_system, pg_databases, browser):  # noqa: F811
    system = make_system(pg_databases)  # the pages do not depend on the backend
    context = browser.new_context()
    outside: list[str] = []

    def only_local(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    try:
        for service, path in PATHS.items():
            page = context.new_page()
            page.goto(system.url(service) + "/docs")
            page.locator(".opblock-summary-path", has_text=path).first.wait_for(timeout=30_000)
            page.goto(system.url(service) + "/redoc")
            page.get_by_text(path, exact=False).first.wait_for(state="attached", timeout=30_000)
            page.close()
    finally:
        context.close()
    assert outside == []
