"""The child-process side of reading a spreadsheet: preflight checks, then calamine.

Runs in a forkserver child with a memory cap, so a hostile or broken file can only fail its
own reading. Kept free of pandas and pandera so that a child starts in a fraction of a second;
the two cores check and parse two files at once.

Where there is no ``resource`` module (Windows), the operating system sets no memory cap: the
safety check then runs to its end before the parser starts, so that only a file whose declared
sizes, ranges and compression ratios are within :class:`~clausekit.safety.Limits` is parsed,
and the time limit still stops a parser that runs too long.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from clausekit.safety import Limits, Preflight, preflight

_CONTEXT: Any = None


def reader_context() -> Any:
    """The multiprocessing context of the readers: a fork server that has imported this
    module, fastexcel and pyarrow once, so each reader starts in milliseconds (spawn where
    there is no fork server)."""
    global _CONTEXT
    if _CONTEXT is None:
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        _CONTEXT = mp.get_context(method)
        if method == "forkserver":
            _CONTEXT.set_forkserver_preload(["clausekit.sheetreader", "fastexcel", "pyarrow"])
    return _CONTEXT


def memory_cap_available() -> bool:
    """True where the readers' memory can be capped by the system (``resource``: not Windows)."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return True


def _confine(memory_mb: int) -> bool:
    """Cap the child's memory; False when the system cannot (then the check runs first)."""
    capped = False
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        capped = True
    except (ImportError, ValueError, OSError):
        pass
    # a parser that dies (Rust allocation failure) must not print on the user's terminal
    os.environ["RUST_BACKTRACE"] = "0"
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    return capped


def _parse(content: bytes, locate: set[str]) -> list[tuple[str, bool, Any, int]]:
    import fastexcel

    # from the bytes: calamine then detects the format by content, not by extension
    reader = fastexcel.read_excel(content)
    sheets: list[tuple[str, bool, Any, int]] = []
    calamine = None
    for name in reader.sheet_names:
        sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=[])
        first_column = 0
        if name in locate:  # findings on cells: where the frame starts, to name their columns
            import python_calamine

            calamine = calamine or python_calamine.load_workbook(io.BytesIO(content))
            start = calamine.get_sheet_by_name(name).start
            first_column = start[1] if start else 0
        sheets.append((name, sheet.visible == "visible", sheet.to_arrow(), first_column))
    return sheets


def read_workbook(conn: Connection, path: str, memory_mb: int, limits: Limits) -> None:
    """Check the file and parse every sheet into Arrow, all cells as text.

    The check (Python) runs in a thread while calamine (Rust, without the GIL) parses: the
    parsed data is used only once the check has passed. If the parser kills the process
    first, the parent runs the check again to say why.

    Sends ``("refused", preflight)``, ``("ok", (preflight, sheets))`` with sheets as
    ``(name, visible, arrow batch, first column)``, or ``("error", reason)``.
    """
    capped = _confine(memory_mb)
    found: dict[str, Preflight] = {}

    def check_file() -> None:
        check = found.setdefault("check", preflight(Path(path), limits))
        if check.fatal:  # refused: say so now and stop the parser, whatever it is doing
            conn.send(("refused", check))
            conn.close()
            os._exit(0)

    checker = threading.Thread(target=check_file, daemon=True)
    checker.start()
    if not capped:  # no memory cap: nothing is parsed before the file has passed the check
        checker.join()
    sheets: list[tuple[str, bool, Any, int]] = []
    failure = None
    try:
        content = Path(path).read_bytes()
        sheets = _parse(content, set())
    except MemoryError:
        failure = "mémoire insuffisante"
    except Exception as exc:  # the child reports any parser failure as data
        failure = f"{type(exc).__name__}: {str(exc)[:200]}"
    checker.join()
    try:
        check = found["check"]
        if failure is not None:
            conn.send(("error", failure))
        else:
            locate = {i.sheet for i in check.issues if i.sheet is not None and i.row is not None}
            if locate:
                sheets = _parse(content, locate)
            conn.send(("ok", (check, sheets)))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {str(exc)[:200]}"))
    finally:
        conn.close()
