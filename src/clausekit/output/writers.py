"""Stage 6 — write: one registry of the output formats, and files put in place all or nothing.

Every output goes to a temporary file in the destination folder and is renamed into place, so
an interrupted run never leaves a truncated or half-new report. A format is one row of
:data:`WRITERS`: its ``--format`` word, the file it writes, its writer and its French help;
the command line's choices and help and the run's write loop all come from that table.

Kept free of pandas: the command line reads the table before the heavy modules load; each
writer loads its own module when it runs.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Stage = Callable[[str], Path]  # a file name in the output folder -> where to write it


def _new_file(folder: Path, prefix: str, suffix: str) -> Path:
    """Create a new empty file in ``folder`` with the mode the process's umask gives (0644
    under the usual 022, as any program's output: colleagues can open the report), never
    replacing an existing one (``mkstemp`` would make it 0600)."""
    for _ in range(100):
        path = folder / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise FileExistsError(folder)  # pragma: no cover - 100 clashes of 48 random bits


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = _new_file(target.parent, f".{target.name}.", ".tmp")
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def output_set(folder: Path) -> Iterator[Callable[[str], Path]]:
    """Stage several outputs and put them all in place only when every one was written:
    a failed run leaves the previous report whole, never half old, half new."""
    staged: list[tuple[Path, Path]] = []

    def stage(name: str) -> Path:
        target = folder / name
        temporary = target.with_name(f".{target.name}.{os.getpid()}.new")
        staged.append((temporary, target))
        return temporary

    try:
        yield stage
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        os.replace(temporary, target)


def write_json(data: dict[str, Any], target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(
            json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
            encoding="utf-8",
        )


@dataclass
class Rendered:
    """What every format is written from: the report, its tables and the bilan."""

    report: dict[str, Any]  # the JSON-ready report (masked under --mask-below)
    tables: list[Any]  # its views (output.views.View), in reading order

    @functools.cached_property
    def document(self) -> str:
        """The bilan as HTML, made once for bilan.html and bilan.pdf."""
        from clausekit.output.bilan import bilan_html

        return bilan_html(self.report)


@dataclass(frozen=True)
class Writer:
    """One output format."""

    name: str  # the word of --format
    file: str  # what it writes in the output folder
    write: Callable[[Rendered, Stage], list[str]]  # writes it; returns the names written
    help: str  # what the file is, in French, for --format's help


def _json(rendered: Rendered, stage: Stage) -> list[str]:
    write_json(rendered.report, stage("rapport.json"))
    return ["rapport.json"]


def _xlsx(rendered: Rendered, stage: Stage) -> list[str]:
    from clausekit.output.xlsx import write_xlsx

    write_xlsx(rendered.tables, stage("rapport.xlsx"))
    return ["rapport.xlsx"]


def _markdown(rendered: Rendered, stage: Stage) -> list[str]:
    from clausekit.output.textfiles import write_markdown

    write_markdown(rendered.tables, stage("rapport.md"))
    return ["rapport.md"]


def _csv(rendered: Rendered, stage: Stage) -> list[str]:
    """The tables of figures; the row-level detail is rejets.csv, written whole anyway."""
    from clausekit.output.textfiles import write_tables_csv

    return write_tables_csv([t for t in rendered.tables if t.kind != "detail"], stage, "tableaux")


def _pdf(rendered: Rendered, stage: Stage) -> list[str]:
    from clausekit.output.pdf import html_to_pdf

    html_to_pdf(rendered.document, stage("bilan.pdf"))
    return ["bilan.pdf"]


# the formats, in the order they are written
WRITERS: tuple[Writer, ...] = (
    Writer("json", "rapport.json", _json, "le rapport complet, pour d'autres programmes"),
    Writer("xlsx", "rapport.xlsx", _xlsx, "un classeur mis en forme, une feuille par tableau"),
    Writer("markdown", "rapport.md", _markdown, "les tableaux à coller dans un texte"),
    Writer("csv", "tableaux/", _csv, "un fichier par tableau"),
    Writer("pdf", "bilan.pdf", _pdf, "le bilan imprimé, avec Chromium, Chrome ou Edge"),
)
DEFAULT_FORMATS = ("xlsx", "json")
ALWAYS_WRITTEN = ("bilan.html", "rejets.csv")


def format_names() -> tuple[str, ...]:
    """The words --format accepts."""
    return tuple(w.name for w in WRITERS)


def parse_formats(formats: list[str] | None) -> tuple[str, ...]:
    """The outputs asked for (``--format``, repeated or comma-separated), in order, each once;
    :data:`DEFAULT_FORMATS` when none is given. :class:`UsageError` for an unknown one."""
    from clausekit.errors import UsageError

    if not formats:
        return DEFAULT_FORMATS
    known = format_names()
    chosen = [f.strip().lower() for item in formats for f in item.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in known]
    if unknown:
        raise UsageError(f"Format « {unknown[0]} » inconnu : choisissez parmi {', '.join(known)}.")
    return tuple(dict.fromkeys(chosen))


def format_help() -> str:
    """--format's help, from the registry."""
    listed = " ; ".join(f"{w.name} ({w.file}, {w.help})" for w in WRITERS)
    return (
        f"Sorties à écrire, répétable : {listed}. Par défaut : {' et '.join(DEFAULT_FORMATS)} ; "
        f"{' et '.join(ALWAYS_WRITTEN)} sont toujours écrits."
    )


def write_formats(rendered: Rendered, formats: tuple[str, ...], stage: Stage) -> list[str]:
    """Write each format asked for, in the registry's order; return the names written."""
    names: list[str] = []
    for writer in WRITERS:
        if writer.name in formats:
            names += writer.write(rendered, stage)
    return names


def write_document(rendered: Rendered, stage: Stage) -> list[str]:
    """The bilan, written by every run (bilan.html)."""
    with atomic_path(stage("bilan.html")) as tmp:
        tmp.write_text(rendered.document, encoding="utf-8")
    return ["bilan.html"]
