"""The child-process side of reading a spreadsheet: preflight checks, then calamine.

Runs in a forkserver child with a memory cap, so a hostile or broken file can only fail its
own reading. Kept free of pandas and pandera so that a child starts in a fraction of a second;
the two cores check and parse two files at once.

Where the memory is capped, the used range of a sheet is checked on what calamine parsed (only
cells with a value count), not on every cell reference beforehand: a sheet too large makes the
parser fail against its cap, and the parent's full check then says why. Where there is no
``resource`` module (Windows), the operating system sets no memory cap: the safety check then
runs to its end before the parser starts, every cell reference counted, so that only a file
whose declared sizes, ranges and compression ratios are within
:class:`~clausekit.preflight.Limits` is parsed, and the time limit still stops a parser that
runs too long.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import mmap
import multiprocessing as mp
import os
import pickle
import posixpath
import re
import signal
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from multiprocessing import reduction
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from clausekit.errors import make_issue
from clausekit.preflight import Limits, Preflight, declared_utf8, preflight, utf16_encoding
from clausekit.preflight.xmlscan import col_letters

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
            _CONTEXT.set_forkserver_preload(["clausekit.pipeline.worker", "fastexcel", "pyarrow"])
    return _CONTEXT


def start_reader_server() -> None:
    """Start the fork server now, deaf to Ctrl-C: a Python that is still starting (its
    ``site``) when Ctrl-C reaches the whole process group prints a traceback on the user's
    terminal. Ctrl-C is blocked while the server is spawned, as the resource tracker does
    (bpo-33613): the server inherits the blocked signal (and then ignores it); each reader
    unblocks it with its default action, to end without a word; a Ctrl-C of those few
    milliseconds reaches the run as soon as it is unblocked. Call from the main thread."""
    context = reader_context()
    if context.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver, resource_tracker

    # the tracker first: it blocks and then unblocks Ctrl-C around its own start, which
    # would unblock it here too if it were started inside the block below
    resource_tracker.ensure_running()
    blocking = hasattr(signal, "pthread_sigmask")
    if blocking:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        if blocking:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


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


_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\s[^>]*?/>")
_RID = re.compile(rb"\s[A-Za-z_][\w.-]*:id\s*=\s*[\"']([^\"']*)[\"']")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\s[^>]*?>")


def _attr(tag: bytes, name: bytes) -> bytes | None:
    match = re.search(rb"\s" + name + rb"\s*=\s*[\"']([^\"']*)[\"']", tag)
    return match.group(1) if match else None


def _repaired_xlsx(content: bytes) -> bytes | None:
    """An xlsx package calamine refuses, rewritten the way Excel would save it: part names
    with '/' (some writers use '\\'), the workbook folder renamed ``xl/``, and only the
    sheets that are worksheets with a part (chart, macro and dialog sheets, or a sheet whose
    relationship is missing, make calamine give up the whole file), and XML parts in UTF-16
    (a Windows Phone Excel) in UTF-8, the only encoding calamine reads. None: not repairable.
    Like calamine, it runs beside the preflight under the child's memory cap, and what it
    gives is used only once the preflight has passed the package as it stands."""
    try:
        source = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return None
    members = {i.filename.replace("\\", "/").lstrip("/"): i for i in source.infolist()}
    folder = "xl"
    if "xl/workbook.xml" not in members:
        folders = {n[: -len("/workbook.xml")] for n in members if n.endswith("/workbook.xml")}
        folders = {f for f in folders if f and "/" not in f}
        if len(folders) != 1 or any(n.startswith("xl/") for n in members):
            return None
        folder = folders.pop()
    rels_name = f"{folder}/_rels/workbook.xml.rels"
    rels = _utf8(source.read(members[rels_name])) if rels_name in members else b""
    kinds = {_attr(t, b"Id"): _attr(t, b"Type") or b"" for t in _RELATIONSHIP.findall(rels)}
    targets = {_attr(t, b"Id"): _attr(t, b"Target") or b"" for t in _RELATIONSHIP.findall(rels)}

    def worksheet(match: re.Match[bytes]) -> bytes:
        rid = _RID.search(match.group(0))
        key = rid.group(1) if rid else None
        target = targets.get(key, b"").decode("utf-8", "replace").replace("\\", "/")
        part = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
        if kinds.get(key, b"").endswith(b"/worksheet") and posixpath.normpath(part) in members:
            return match.group(0)
        return b""

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as repaired:
        for name, info in members.items():
            data = _utf8(source.read(info))
            if folder != "xl" and name in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(f"/{folder}/".encode(), b"/xl/")
                data = data.replace(f'"{folder}/'.encode(), b'"xl/')
            if name == f"{folder}/workbook.xml":
                data = _SHEET_TAG.sub(worksheet, data)
            if folder != "xl" and name.startswith(f"{folder}/"):
                name = "xl/" + name[len(folder) + 1 :]
            repaired.writestr(name, data)
    return out.getvalue()


def _utf8(data: bytes) -> bytes:
    """A part in UTF-16 (XML: it starts with '<' or a byte-order mark) as UTF-8."""
    encoding = utf16_encoding(data[:2])
    if encoding is None:
        return data
    text = data.decode(encoding, "replace").removeprefix("\ufeff")
    return declared_utf8(text).encode("utf-8")


def _failure(exc: BaseException) -> tuple[str, str | None]:
    """What a parser failure tells the user, in French (never the library's own text)."""
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:
        return "encrypted", None
    if isinstance(exc, MemoryError):
        return "error", "mémoire insuffisante"
    if not isinstance(exc, Exception):  # a Rust panic (pyo3 PanicException)
        return "error", "le lecteur de classeurs a rencontré une structure qu'il ne sait pas lire"
    return "error", "contenu corrompu ou d'une forme que le lecteur de classeurs ne sait pas lire"


def _parse_or_repair(content: bytes) -> tuple[bytes, list[tuple[str, bool, Any, int]]]:
    """Parse; if calamine refuses an xlsx package, parse its repaired copy. Returns the
    bytes that parsed, to locate findings in them later."""
    try:
        return content, _parse(content, set())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        repaired = _repaired_xlsx(content) if content[:2] == b"PK" else None
        if repaired is None:
            raise
        return repaired, _parse(repaired, set())


# Where the pipe is a file descriptor (not Windows), the sheets' Arrow buffers (~230 MB of
# text for 500 000 rows of 21 columns) do not go through pickle: Connection.recv gathers a
# message in ever-reallocated byte strings (1.2 to 1.4 s of CPU for those 230 MB). On Linux
# they are written once into an anonymous memory file (memfd, never on disk, gone with the
# last process that holds it) whose descriptor crosses the socket: the parent maps it, so
# the pages the child filled are read in place, without a second copy or fresh pages to
# zero. Elsewhere they follow on the pipe, raw, read into buffers of their final size.
RAW_PIPE = os.name == "posix"
SHARED_FILE = RAW_PIPE and hasattr(os, "memfd_create") and sys.platform.startswith("linux")


def pipe() -> tuple[Connection, Connection]:
    """(parent's end, child's end) of a reader's connection: a socket pair where the memory
    file's descriptor is passed on it, else a one-way pipe."""
    parent, child = reader_context().Pipe(duplex=SHARED_FILE)
    return parent, child


@dataclass(frozen=True)
class OutOfBand:
    """A message whose buffers follow it, in this order and of these sizes: raw on the pipe,
    or (``shared``) in a memory file whose descriptor follows on the socket."""

    pickled: bytes
    sizes: list[int]
    shared: bool = False


def send(conn: Connection, message: Any, *, shared: bool | None = None) -> None:
    """Send ``message`` to the parent (:func:`receive` reads it); ``shared``: through a memory
    file (default: where the system has them)."""
    if not RAW_PIPE:
        conn.send(message)
        return
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    if not buffers:  # a small message, as it is
        conn.send(message)
        return
    views = [buffer.raw() for buffer in buffers]
    sizes = [view.nbytes for view in views]
    if SHARED_FILE if shared is None else shared:
        fd = os.memfd_create("clausekit-feuilles", os.MFD_CLOEXEC)
        try:
            _write_all(fd, views)
            conn.send(OutOfBand(head, sizes, shared=True))
            reduction.send_handle(conn, fd, os.getppid())
        finally:
            os.close(fd)
        return
    conn.send(OutOfBand(head, sizes))
    _write_all(conn.fileno(), views)


def _write_all(fd: int, views: list[memoryview]) -> None:
    for view in views:
        while view.nbytes:
            view = view[os.write(fd, view) :]


def receive(conn: Connection, deadline: float) -> Any:
    """The message :func:`send` sent; ``TimeoutError`` if it is not all there by
    ``deadline`` (``time.monotonic()``), ``EOFError`` if the child died while sending."""
    message = conn.recv()
    if not isinstance(message, OutOfBand):
        return message
    if message.shared:
        return pickle.loads(message.pickled, buffers=_mapped(conn, message.sizes, deadline))
    buffers = []
    for size in message.sizes:
        buffer = bytearray(size)
        view, done = memoryview(buffer), 0
        while done < size:
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError
            read = os.readv(conn.fileno(), [view[done:]])
            if not read:
                raise EOFError
            done += read
        buffers.append(buffer)
    return pickle.loads(message.pickled, buffers=buffers)


def _mapped(conn: Connection, sizes: list[int], deadline: float) -> list[memoryview]:
    """The buffers of a memory file whose descriptor comes on ``conn``, mapped read-only (its
    pages mapped at once: one system call instead of a fault per page)."""
    if not conn.poll(max(0.0, deadline - time.monotonic())):
        raise TimeoutError
    try:
        fd = reduction.recv_handle(conn)
    except (RuntimeError, OSError) as exc:  # a message without descriptor: the child died
        raise EOFError from exc
    try:
        total = sum(sizes)
        if os.fstat(fd).st_size < total:
            raise EOFError  # the child died while writing
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        whole = memoryview(mmap.mmap(fd, total, flags=flags, prot=mmap.PROT_READ)) if total else b""
    finally:
        os.close(fd)
    ends = list(itertools.accumulate(sizes))
    return [memoryview(whole)[end - size : end] for end, size in zip(ends, sizes, strict=True)]


def read_workbook(conn: Connection, path: str, memory_mb: int, limits: Limits) -> None:
    """Check the file and parse every sheet into Arrow, all cells as text.

    The check (Python) runs in a thread while calamine (Rust, without the GIL) parses: the
    parsed data is used only once the check has passed. If the parser kills the process
    first, the parent runs the check again to say why.

    Sends ``("refused", preflight)``, ``("ok", (preflight, sheets))`` with sheets as
    ``(name, visible, arrow batch, first column)``, ``("encrypted", None)`` or
    ``("error", reason)`` (a French reason).
    """
    if hasattr(signal, "pthread_sigmask"):  # blocked since the fork server started
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends a reader without a word
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    capped = _confine(memory_mb)
    # capped, a sheet too large makes the parser fail, not the machine: its range is then
    # checked on what was parsed, not on every cell reference beforehand (~1.4 s of CPU for
    # 1M rows)
    scan = dataclasses.replace(limits, scan_area=False) if capped else limits
    found: dict[str, Preflight] = {}

    def check_file() -> None:
        check = found.setdefault("check", preflight(Path(path), scan))
        if check.fatal:  # refused: say so now and stop the parser, whatever it is doing
            send(conn, ("refused", check))
            conn.close()
            os._exit(0)

    checker = threading.Thread(target=check_file, daemon=True)
    checker.start()
    if not capped:  # no memory cap: nothing is parsed before the file has passed the check
        checker.join()
    sheets: list[tuple[str, bool, Any, int]] = []
    failure: tuple[str, str | None] | None = None
    content = b""
    try:
        content, sheets = _parse_or_repair(Path(path).read_bytes())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # any parser failure is data, a Rust panic too
        failure = _failure(exc)
    checker.join()
    try:
        check = found["check"]
        if failure is not None:
            send(conn, failure)
        elif not scan.scan_area and (large := _too_large(sheets, limits)):
            send(conn, ("refused", _range_refusal(Path(path), limits, *large)))
        else:
            locate = {i.sheet for i in check.issues if i.sheet is not None and i.row is not None}
            if locate:
                sheets = _parse(content, locate)
            send(conn, ("ok", (check, sheets)))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        send(conn, _failure(exc))
    finally:
        conn.close()


def _too_large(
    sheets: list[tuple[str, bool, Any, int]], limits: Limits
) -> tuple[str, int, int] | None:
    """The first sheet whose parsed range (rows from the first, columns from the first one
    used) exceeds ``limits.max_cells``, as (name, rows, columns)."""
    for name, _, batch, _ in sheets:
        if batch.num_rows * batch.num_columns > limits.max_cells:
            return name, batch.num_rows, batch.num_columns
    return None


def _range_refusal(path: Path, limits: Limits, sheet: str, rows: int, cols: int) -> Preflight:
    """The refusal of a file with a sheet too large: the full check, which scans every cell
    reference, names its last cell (it counts at least the cells parsed)."""
    full = preflight(path, limits)
    if full.fatal:
        return full
    reason = f"plage démesurée ({col_letters(cols)}{rows})"
    issue = make_issue("FILE_HOSTILE", file=str(path), sheet=sheet, reason=reason)
    return Preflight(full.format, fatal=[issue])


def shutdown() -> None:
    """Stop the readers of this run and reap them, the fork server and its resource tracker
    too: when clausekit exits, after an error or Ctrl-C as well, no process of its run is left
    (otherwise they linger until they notice their parent is gone)."""
    if _CONTEXT is None:
        return
    children = mp.active_children()
    for child in children:
        child.kill()
    for child in children:
        child.join(5)
    from multiprocessing import forkserver, resource_tracker

    # The fork server holds nothing to clean up (its socket is removed by ``_stop``): killed,
    # it is reaped at once instead of tearing down its pyarrow and numpy (~50 ms of waiting).
    server_pid = getattr(forkserver._forkserver, "_forkserver_pid", None)  # type: ignore[attr-defined]
    if server_pid is not None:
        with contextlib.suppress(OSError):  # already gone
            os.kill(server_pid, signal.SIGKILL)
    for stop in (
        getattr(forkserver._forkserver, "_stop", None),  # type: ignore[attr-defined]
        getattr(resource_tracker._resource_tracker, "_stop", None),  # type: ignore[attr-defined]
    ):
        if stop is not None:
            with contextlib.suppress(OSError, ChildProcessError):  # already gone
                stop()
