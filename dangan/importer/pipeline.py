"""Reading a sheet in a child process while the importer validates and writes.

Reading a sheet and turning its cells into field values is work the importer need not
wait for. On the two-core reference machine (SPEC §6) a child does that part while the
parent validates and writes the rows it has already received (with python-calamine the
child needs about 15 ms of CPU per 1,000 rows; openpyxl needed four times that). The
child opens the sheet, sends the header row (or the reason it cannot be read, so a bad
file still fails before any row is handled), then the parsed rows in chunks through a
pipe. The pipe's buffer (1 MiB, some 7,000 rows) bounds how far the child runs ahead.

The child is forked, not spawned: it starts in milliseconds with Django set up as the
parent has it (settings, the active language for the row errors, the parse function),
and it runs nothing that forking could upset (no threads, no database). It only reads
the file and applies the parse function, which is pure; it leaves the database
connection it inherited alone, and every rule the rows must satisfy is still checked by
the services in the parent. It dies with its parent: it asks the kernel for SIGKILL when
the parent goes (Linux), a send to a parent that is gone fails, and the parent closes
the pipe and reaps the child however it stops reading. Where fork is unavailable or
unsafe (not Linux), or no process can be started, the rows are read in the process
itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Generic, TypeVar

from django.utils.translation import gettext_lazy as _

from dangan.core.errors import ApplicationError
from dangan.importer import readers

T = TypeVar("T")
# Rows per message: small enough that the child is soon ahead, large enough that the
# per-message cost does not count.
CHUNK = 200
PIPE_BYTES = 1 << 20
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def child_available() -> bool:
    """Whether sheets are read in a child process here (Linux, where fork is safe for a
    child that runs pure Python code and exits without cleaning up)."""
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


@dataclass
class ParsedSheet(Generic[T]):
    headers: list[str]
    total: int
    # Sheet row number (as Excel shows it) and parse(values, headers) of that row.
    rows: Iterator[tuple[int, T]]


@contextlib.contextmanager
def parsed_sheet(
    path: Path | bytes,
    name: str,
    parse: Callable[[list[Any], list[str]], T],
    *,
    in_child: bool | None = None,
) -> Iterator[ParsedSheet[T]]:
    """Open the sheet (raising readers.open_sheet's ApplicationError for a bad file) and
    give its rows parsed by `parse`, read in a child process where available. `parse`
    must be pure and must not raise: it runs in the child, whose errors end the import.
    The child is gone when the block is left, however it is left."""
    child = None
    if in_child is None:
        in_child = child_available()
    if in_child:
        receive, send = multiprocessing.Pipe(duplex=False)
        _widen(receive)
        child = multiprocessing.get_context("fork").Process(
            target=_child,
            args=(path, name, parse, receive, send, os.getpid()),
            name="dangan-import-reader",
            daemon=True,
        )
        try:
            child.start()
        except OSError:  # no process to be had (limits): read here instead
            receive.close()
            child = None
        send.close()  # the child holds the only write end: its exit ends our reads
    if child is None:
        sheet = readers.open_sheet(path, name)
        rows = ((number, parse(values, sheet.headers)) for number, values in sheet.rows)
        yield ParsedSheet(sheet.headers, sheet.total, rows)
        return
    try:
        headers, total = _first(receive)
        yield ParsedSheet(headers, total, _received(receive))
    finally:
        receive.close()  # a child still sending gets a broken pipe and stops
        child.join(timeout=0.5)  # done, or stopping at its next send
        if child.is_alive():
            child.kill()  # busy parsing: it holds nothing worth a wait
            child.join()
        child.close()


def _widen(pipe: Connection) -> None:
    """Let the child run a whole batch ahead: a 64 KiB pipe holds some 400 parsed rows,
    so the parent waited for the rest of every 2,000-row batch. 1 MiB is Linux's
    default limit for a pipe; where even that is refused, the default stays."""
    import fcntl  # Unix only, like the child

    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _first(receive: Connection) -> tuple[list[str], int]:
    message = _recv(receive)
    if message[0] != "sheet":
        raise RuntimeError(f"reader child sent {message[0]!r} before the header row")
    return message[1], message[2]


def _received(receive: Connection) -> Iterator[tuple[int, Any]]:
    while True:
        message = _recv(receive)
        if message[0] == "end":
            return
        yield from message[1]


def _recv(receive: Connection) -> tuple[Any, ...]:
    try:
        message: tuple[Any, ...] = receive.recv()
    except EOFError:
        raise ApplicationError(_("读取文件的进程意外退出,请重试"), field="file") from None
    if message[0] == "error":
        raise message[1]
    return message


def _child(
    path: Path | bytes,
    name: str,
    parse: Callable[[list[Any], list[str]], Any],
    receive: Connection,
    send: Connection,
    parent: int,
) -> None:
    receive.close()  # only the parent may hold the read end, or our sends never fail
    _die_with(parent)
    # What the parent had is of no use here: out of the collector's sight, full
    # collections do not walk it (nor copy the memory pages fork shares): a sixth less CPU.
    gc.freeze()
    # Ctrl-C reaches the whole process group: the parent handles it, and the child goes
    # when the parent closes the pipe or dies, without a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sheet = readers.open_sheet(path, name)
        send.send(("sheet", sheet.headers, sheet.total))
        chunk: list[tuple[int, Any]] = []
        for number, values in sheet.rows:
            chunk.append((number, parse(values, sheet.headers)))
            if len(chunk) >= CHUNK:
                send.send(("rows", chunk))
                chunk = []
        if chunk:
            send.send(("rows", chunk))
        send.send(("end",))
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent stopped reading
    except Exception as exc:  # whatever it is, the parent raises it
        with contextlib.suppress(OSError):
            send.send(("error", _portable(exc)))


def _portable(exc: Exception) -> Exception:
    """The exception itself if it survives pickling (an ApplicationError keeps its
    message and field), else one with the same text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
    except Exception:  # any failure means: send the text instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _die_with(parent: int) -> None:
    """SIGKILL this process when the thread that started it ends (Linux prctl), and exit
    now if the parent already went before that was asked for."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
