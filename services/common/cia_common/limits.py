"""Work on untrusted input in a child process bounded in time and memory.

A force's Word template or a legacy document is hostile until it has been
parsed under limits: a template can loop or multiply strings without end, and
a small file can expand a thousandfold. :func:`run_limited` forks, caps the
child's address space and CPU time, and kills it when the wall-clock budget is
spent; the calling process (a gunicorn thread, a worker) keeps its memory and
stays responsive whatever the input does.

The child inherits everything it needs by ``fork`` (no pickling of the
function), returns its result pickled through a pipe, and leaves with
``os._exit`` so that nothing inherited from the parent (database connections,
Kafka clients, atexit handlers) is closed or flushed from the child.
"""
from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable

MIB = 1024 * 1024
_in_child = False  # inside a limited child, nested work runs in place under its limits


@dataclass(frozen=True)
class Limits:
    """How much one piece of untrusted work may take."""
    seconds: float = 10.0
    memory_bytes: int = 768 * MIB  # on top of what the process already maps


class LimitExceeded(Exception):
    """The work ran out of time or memory; ``limit`` says which (``seconds`` | ``memory``)."""

    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit = limit


class ChildFailed(Exception):
    """The work raised an exception the caller did not list as its own."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def _mapped_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def _child(write_fd: int, fn: Callable, args: tuple, kwargs: dict, limits: Limits,
           passthrough: tuple[type[BaseException], ...]) -> None:
    global _in_child
    _in_child = True
    status = 0
    try:
        ceiling = _mapped_bytes() + limits.memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        cpu = max(1, int(limits.seconds) + 1)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        try:
            payload = pickle.dumps(("ok", fn(*args, **kwargs)), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", ""))
        except passthrough as exc:
            payload = pickle.dumps(("raise", exc))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, by kind only
            payload = pickle.dumps(("error", type(exc).__name__, str(exc)[:500]))
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view):]
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        status = 1
    finally:
        os._exit(status)


def run_limited(fn: Callable[..., Any], *args, limits: Limits = Limits(),
                passthrough: tuple[type[BaseException], ...] = (), **kwargs) -> Any:
    """``fn(*args, **kwargs)`` in a forked child under ``limits``; its return value
    (which must pickle). Exceptions of the types in ``passthrough`` are raised
    again here as they were; any other becomes :class:`ChildFailed`; running out
    of time or memory raises :class:`LimitExceeded`."""
    if _in_child:
        try:
            return fn(*args, **kwargs)
        except MemoryError:
            raise LimitExceeded("memory", "the work ran out of memory") from None
        except passthrough:
            raise
        except Exception as exc:  # noqa: BLE001 - as the parent of a child would see it
            raise ChildFailed(type(exc).__name__, str(exc)[:500]) from None
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_fd)
        _child(write_fd, fn, args, kwargs, limits, passthrough)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + limits.seconds
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            _kill(pid)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        raise LimitExceeded("seconds", f"the work took longer than {limits.seconds:g} s")
    if not chunks:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
            raise LimitExceeded("seconds", f"the work took longer than {limits.seconds:g} s")
        raise LimitExceeded("memory", "the work ran out of memory")
    try:
        outcome = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a child killed mid-write
        raise LimitExceeded("memory", "the work ran out of memory") from None
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "raise":
        raise outcome[1]
    if kind == "memory":
        raise LimitExceeded("memory", f"the work needed more than "
                                      f"{limits.memory_bytes // MIB} MiB")
    raise ChildFailed(outcome[1], outcome[2])


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
