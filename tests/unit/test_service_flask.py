"""ServiceFlask asks once per plain function whether it is a coroutine function,
and answers as Flask does."""
from __future__ import annotations

import pytest

from cia_common.web.app import ServiceFlask


def plain():
    return "plain"


async def coroutine():
    return "coroutine"


class View:
    def get(self):
        return "method"


def test_a_plain_function_is_itself_and_asked_once(monkeypatch):
    app = ServiceFlask(__name__)
    asked = []
    real = ServiceFlask.__mro__[1].ensure_sync

    def counting(self, func):
        asked.append(func)
        return real(self, func)

    monkeypatch.setattr(ServiceFlask.__mro__[1], "ensure_sync", counting)
    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    assert asked == [plain]
    # A bound method (made afresh for each call) is asked every time, never kept.
    view = View()
    assert app.ensure_sync(view.get)() == "method" and app.ensure_sync(view.get)() == "method"
    assert len(asked) == 3 and list(app._sync_of) == [plain]


def test_a_coroutine_function_is_still_made_synchronous():
    pytest.importorskip("asgiref")
    app = ServiceFlask(__name__)
    sync = app.ensure_sync(coroutine)
    assert sync is not coroutine and sync() == "coroutine"
