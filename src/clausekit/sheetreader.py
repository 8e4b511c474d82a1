"""The child-process side of reading a spreadsheet: preflight checks, then calamine.

Runs in a forkserver child with a memory cap, so a hostile or broken file can only fail its
own reading. Kept free of pandas and pandera so that a child starts in a fraction of a second;
the two cores check and parse two files at once.
"""

from __future__ import annotations

import io
import os
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from clausekit.safety import Limits, preflight


def _confine(memory_mb: int) -> None:
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - non-POSIX
        pass
    # a parser that dies (Rust allocation failure) must not print on the user's terminal
    os.environ["RUST_BACKTRACE"] = "0"
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


def read_workbook(conn: Connection, path: str, memory_mb: int, limits: Limits) -> None:
    """Check the file, then parse every sheet into Arrow, all cells as text.

    Sends ``("refused", preflight)``, ``("ok", (preflight, sheets))`` with sheets as
    ``(name, visible, arrow batch, first column)``, or ``("error", reason)``.
    """
    _confine(memory_mb)
    try:
        check = preflight(Path(path), limits)
        if check.fatal:
            conn.send(("refused", check))
            return
        import fastexcel

        # sheets with located findings need their first column to name the cells' columns
        locate = {i.sheet for i in check.issues if i.sheet is not None and i.row is not None}
        # from the bytes: calamine then detects the format by content, not by extension
        content = Path(path).read_bytes()
        reader = fastexcel.read_excel(content)
        sheets: list[tuple[str, bool, Any, int]] = []
        calamine = None
        for name in reader.sheet_names:
            sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=[])
            first_column = 0
            if name in locate:
                import python_calamine

                calamine = calamine or python_calamine.load_workbook(io.BytesIO(content))
                start = calamine.get_sheet_by_name(name).start
                first_column = start[1] if start else 0
            sheets.append((name, sheet.visible == "visible", sheet.to_arrow(), first_column))
        conn.send(("ok", (check, sheets)))
    except MemoryError:
        conn.send(("error", "mémoire insuffisante"))
    except Exception as exc:  # the child reports any parser failure as data
        conn.send(("error", f"{type(exc).__name__}: {str(exc)[:200]}"))
    finally:
        conn.close()
