"""Stage 1 — read: find the exports under the given paths and read every sheet as raw text.

Each sheet becomes a :class:`RawSheet`: a DataFrame of strings (or NA) whose index is the
spreadsheet row number the user sees (1-based) and whose columns are positional. Nothing is
interpreted here except the file format (from the content, never the extension).

Spreadsheets are parsed in a child process with a memory cap and a time limit, so a hostile
or broken file can only fail its own reading, never crash or hang the run.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clausekit.errors import Issue, make_issue
from clausekit.options import CORES
from clausekit.pipeline.worker import (
    pipe,
    read_workbook,
    reader_context,
    receive,
    start_reader_server,
)
from clausekit.preflight import Limits, Preflight, is_lock_file, preflight, sniff_format
from clausekit.preflight.sniff import SPREADSHEET_SUFFIXES

if TYPE_CHECKING:
    import pandas as pd

    from clausekit.options import InputOptions

# pandas is imported where frames are made, not with this module: the command line starts the
# readers before loading the heavy modules, so that both happen at once.


@dataclass(frozen=True)
class ReadLimits:
    seconds: float = 300.0  # per file
    memory_mb: int = 4096  # address-space cap of the child process
    csv_bytes: int = 512 * 1024 * 1024  # a csv larger than this is refused
    safety: Limits = field(default_factory=Limits)


@dataclass
class Source:
    """A file to read, with the territory its location suggests."""

    path: Path
    display: str  # the path as the user will recognise it
    territory_hint: str


@dataclass
class RawSheet:
    source: Source
    sheet: str | None  # None for csv
    frame: pd.DataFrame  # strings; index = spreadsheet row number; positional columns
    date1904: bool = False
    first_column: int = 0  # 0-based sheet column of the frame's first column
    cell_issues: list[Issue] = field(default_factory=list)  # preflight findings on its cells

    @property
    def file(self) -> str:
        return self.source.display


def discover(
    paths: Iterable[Path], territory_of: Callable[[Path], str | None] | None = None
) -> tuple[list[Source], list[Issue]]:
    """Expand files and folders into sources. The territory: ``territory_of`` (the config),
    else the sub-folder of the given folder, else the file name."""
    sources: list[Source] = []
    issues: list[Issue] = []
    for root in paths:
        if not root.exists():
            issues.append(make_issue("FILE_NOT_FOUND", file=str(root)))
            continue
        if root.is_file():
            from clausekit.pipeline.exportdate import name_without_date

            candidates: list[tuple[Path, str]] = [(root, name_without_date(root.stem))]
        else:
            from clausekit.pipeline.exportdate import name_without_date

            candidates = []
            for path in sorted(root.rglob("*")):
                if not path.is_file() or path.suffix.lower() not in SPREADSHEET_SUFFIXES:
                    continue
                rel = path.relative_to(root)
                hint = rel.parts[0] if len(rel.parts) > 1 else name_without_date(path.stem)
                candidates.append((path, hint))
        for path, hint in candidates:
            display = str(path)
            hint = (territory_of(path) if territory_of else None) or hint
            if is_lock_file(path):
                issues.append(make_issue("FILE_LOCK_SKIPPED", file=display))
                continue
            sources.append(Source(path=path, display=display, territory_hint=hint))
    return sources, issues


# --------------------------------------------------------------------------- spreadsheets


@dataclass
class _Job:
    source: Source
    process: Any
    conn: Connection
    started: float


def _start(source: Source, limits: ReadLimits) -> _Job:
    parent, child = pipe()
    proc = reader_context().Process(
        target=read_workbook,
        args=(child, str(source.path), limits.memory_mb, limits.safety),
        daemon=True,
    )
    proc.start()
    child.close()
    return _Job(source, proc, parent, time.monotonic())


def _finish(job: _Job, limits: ReadLimits) -> tuple[str, Any]:
    deadline = job.started + limits.seconds
    try:
        if job.conn.poll(max(0.0, deadline - time.monotonic())):
            result: tuple[str, Any] = receive(job.conn, deadline)
        else:
            result = ("timeout", None)
    except TimeoutError:
        result = ("timeout", None)
    except (EOFError, OSError):  # the child died (memory cap, signal): not a time-out
        result = ("crashed", None)
    finally:
        job.conn.close()
        if job.process.is_alive():
            job.process.kill()
        job.process.join()
    return result


def _size(source: Source) -> int:
    try:
        return source.path.stat().st_size
    except OSError:
        return 0


class _Readers:
    """Spreadsheets checked and parsed in child processes, ``workers`` at a time, the largest
    first (the longest reads start first, the small ones fill in). The first ones start as soon
    as this is made; results come as soon as each file is read, so the caller can work on one
    while the others are read."""

    def __init__(self, sources: list[Source], limits: ReadLimits, workers: int) -> None:
        self.pending = sorted(sources, key=_size, reverse=True)
        self.running: list[_Job] = []
        self.limits = limits
        self.workers = workers
        self.failure: BaseException | None = None
        if sources:
            start_reader_server()
        # Starting the first readers waits for the fork server's own start-up: done in a
        # thread, so the caller goes on (loading modules) meanwhile.
        self.starting = threading.Thread(target=self._first, daemon=True)
        self.starting.start()

    def _first(self) -> None:
        try:
            self._fill()
        except BaseException as exc:  # given to the caller when it asks for the results
            self.failure = exc

    def _fill(self) -> None:
        while self.pending and len(self.running) < self.workers:
            self.running.append(_start(self.pending.pop(0), self.limits))

    def __iter__(self) -> Iterator[tuple[Source, tuple[str, Any]]]:
        self.starting.join()
        if self.failure is not None:
            raise self.failure
        while self.running:
            now = time.monotonic()
            timeout = max(0.0, min(j.started + self.limits.seconds - now for j in self.running))
            ready = wait([j.conn for j in self.running], timeout)
            # a finished job, else (time is up) the job that started first
            job = next((j for j in self.running if j.conn in ready), self.running[0])
            self.running.remove(job)
            result = _finish(job, self.limits)
            self._fill()  # the next file is read while the caller works on this one
            yield job.source, result


def _arrow_to_frame(batch: Any) -> pd.DataFrame:
    import pandas as pd

    frame = batch.to_pandas(types_mapper=pd.ArrowDtype) if batch.num_columns else pd.DataFrame()
    frame.columns = range(frame.shape[1])
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


# --------------------------------------------------------------------------- csv


def _decode(data: bytes) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        head = sample.splitlines()[:20]
        counts = {d: sum(line.count(d) for line in head) for d in ";,\t"}
        return max(counts, key=lambda d: counts[d])


def read_csv(source: Source) -> tuple[RawSheet, list[Issue]]:
    """Read a csv (encoding and separator detected) as one raw sheet; ragged rows reported."""
    text = _decode(source.path.read_bytes())
    delimiter = _sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    width = max((len(r) for r in rows), default=0)
    issues: list[Issue] = []
    widths = [len(r) for r in rows if any(c.strip() for c in r)]
    expected = max(set(widths), key=widths.count) if widths else 0
    for number, row in enumerate(rows, start=1):
        if row and any(c.strip() for c in row) and len(row) != expected and number > 1:
            issues.append(
                make_issue(
                    "CSV_RAGGED_ROW",
                    file=source.display,
                    row=number,
                    found=len(row),
                    expected=expected,
                )
            )
    padded = [r + [""] * (width - len(r)) for r in rows]
    import pandas as pd

    frame = pd.DataFrame(padded, columns=range(width), dtype="string[pyarrow]")
    frame = frame.replace("", pd.NA) if len(frame) else frame
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    # ragged rows are located findings: they reject their row once the sheet is recognised
    return RawSheet(source=source, sheet=None, frame=frame, cell_issues=issues), []


# --------------------------------------------------------------------------- entry point


@dataclass
class FileRead:
    """What reading one file gave."""

    order: int  # rank in the run's order: csv files, then spreadsheets, each in input order
    source: Source
    sheets: list[RawSheet] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    unreadable: bool = False


@dataclass
class Reading:
    """The files found under the paths, and their reading, file by file."""

    files: list[str]  # every file found, as displayed
    issues: list[Issue]  # about finding the files (missing path, lock file, duplicate copy)
    results: Iterator[FileRead]  # one per file, in the order the reads complete


def read_files(
    paths: Iterable[Path],
    limits: ReadLimits | None = None,
    workers: int | None = None,
    *,
    territory_of: Callable[[Path], str | None] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> Reading:
    """Read every export under ``paths``: one RawSheet per visible sheet, issues for the rest.
    Spreadsheets are read by ``workers`` child processes, which start at once; each file's
    result is given as soon as it is read (``FileRead.order`` restores the run's order).
    ``on_file`` is called with each file's name once it is read (progress display)."""
    limits = limits or ReadLimits()
    workers = workers or CORES
    sources, issues = discover(paths, territory_of)
    sources = _drop_identical(sources, issues)
    csv_files = [s for s in sources if sniff_format(s.path) == "csv"]
    excel = [s for s in sources if s not in csv_files]  # checked and parsed in a child
    order = {id(s): rank for rank, s in enumerate(csv_files + excel)}

    readers = _Readers(excel, limits, workers)  # the children start reading now

    def results() -> Iterator[FileRead]:
        for source in csv_files:
            yield _read_csv_file(source, order[id(source)], limits)
            if on_file:
                on_file(source.display)
        for source, outcome in readers:
            if on_file:
                on_file(source.display)
            yield _excel_result(source, order[id(source)], outcome, limits)

    return Reading([s.display for s in sources], issues, results())


def start_reading(
    paths: list[Path], limits: ReadLimits | None = None, inputs: InputOptions | None = None
) -> Reading:
    """Find the exports under ``paths`` and start reading them (child processes); pass the
    result to ``check`` or ``consolidate`` (the command line starts reading before
    loading the heavy modules)."""
    if inputs is None:
        return read_files(paths, limits)
    return read_files(paths, limits, territory_of=inputs.territory_of, on_file=inputs.on_file)


def _read_csv_file(source: Source, order: int, limits: ReadLimits) -> FileRead:
    file = FileRead(order, source)
    check = preflight(source.path, limits.safety)
    _add_preflight(file, check)
    if check.fatal:
        return file
    size = source.path.stat().st_size
    if size > limits.csv_bytes:
        file.issues.append(
            make_issue(
                "FILE_HOSTILE",
                file=source.display,
                reason=f"fichier csv trop volumineux ({size // 2**20} Mio, limite "
                f"{limits.csv_bytes // 2**20} Mio)",
            )
        )
        file.unreadable = True
        return file
    sheet, csv_issues = read_csv(source)
    file.sheets.append(sheet)
    file.issues.extend(csv_issues)
    return file


def _excel_result(
    source: Source, order: int, outcome: tuple[str, Any], limits: ReadLimits
) -> FileRead:
    file = FileRead(order, source)
    status, payload = outcome
    if status == "refused":
        _add_preflight(file, payload)
    elif status == "ok":
        check, sheets = payload
        located = _add_preflight(file, check)
        for name, visible, batch, first_column in sheets:
            if not visible:
                file.issues.append(make_issue("SHEET_HIDDEN", file=source.display, sheet=name))
                continue
            file.sheets.append(
                RawSheet(
                    source,
                    name,
                    _arrow_to_frame(batch),
                    check.date1904,
                    first_column,
                    located.get(name, []),
                )
            )
    elif status in ("timeout", "crashed"):
        # the parser died or ran out of time: the check, alone, says why when it can
        check = preflight(source.path, limits.safety)
        if check.fatal:
            _add_preflight(file, check)
        elif status == "timeout":
            file.issues.append(
                make_issue("FILE_TOO_SLOW", file=source.display, seconds=int(limits.seconds))
            )
            file.unreadable = True
        else:
            reason = (
                "le lecteur de classeurs s'est arrêté brutalement (fichier malformé, ou plus "
                f"de {limits.memory_mb} Mio de mémoire demandés)"
            )
            file.issues.append(make_issue("FILE_UNREADABLE", file=source.display, reason=reason))
            file.unreadable = True
    elif status == "encrypted":
        file.issues.append(make_issue("FILE_ENCRYPTED", file=source.display))
        file.unreadable = True
    else:
        file.issues.append(make_issue("FILE_UNREADABLE", file=source.display, reason=payload))
        file.unreadable = True
    return file


def _drop_identical(sources: list[Source], issues: list[Issue]) -> list[Source]:
    """The same export dropped twice in a folder ("export (1).xlsx") is read once, under its
    newest name: byte-identical files would otherwise count every hour twice. Only files
    of the same size in the same folder are compared (read whole): the others cannot be
    copies, and are read once, by their reader."""
    from clausekit.pipeline.exportdate import export_date

    sized = {id(source): (source.path.parent, _size(source)) for source in sources}
    alike: dict[tuple[Path, int], int] = {}
    for place in sized.values():
        alike[place] = alike.get(place, 0) + 1
    seen: dict[str, str] = {}
    kept = []
    newest_first = sorted(sources, key=lambda s: export_date(s.path, s.display), reverse=True)
    for source in newest_first:
        if alike[sized[id(source)]] == 1:  # no other file of its size in its folder
            kept.append(source)
            continue
        digest = hashlib.sha256()
        try:
            with source.path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
        except OSError:
            kept.append(source)  # unreadable: the reader says why
            continue
        key = f"{source.path.parent}\0{digest.hexdigest()}"  # copies within one folder
        if key in seen:
            issues.append(make_issue("FILE_DUPLICATE", file=source.display, other=seen[key]))
            continue
        seen[key] = source.display
        kept.append(source)
    order = {id(source): position for position, source in enumerate(sources)}
    return sorted(kept, key=lambda source: order[id(source)])


def _add_preflight(file: FileRead, check: Preflight) -> dict[str, list[Issue]]:
    """File-level findings go to the file's issues; findings on a cell are returned by sheet,
    to reject their row once the sheet is recognised."""
    located: dict[str, list[Issue]] = {}
    for issue in check.issues:
        issue = _with_file(issue, file.source.display)
        if issue.sheet is not None and issue.row is not None:
            located.setdefault(issue.sheet, []).append(issue)
        else:
            file.issues.append(issue)
    if check.fatal:
        file.issues.extend(_with_file(i, file.source.display) for i in check.fatal)
        file.unreadable = True
    return located


def _with_file(issue: Issue, display: str) -> Issue:
    if issue.file == display:
        return issue
    from dataclasses import replace

    return replace(issue, file=display)
