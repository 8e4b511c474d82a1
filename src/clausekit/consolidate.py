"""The library's entry points: :func:`check` (read, recognise, validate) and
:func:`consolidate` (all stages, report written). The CLI commands are thin adapters."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clausekit import __version__
from clausekit.errors import WARNINGS_THAT_MATTER, ExitCode, InputError, Issue
from clausekit.indicators import compute
from clausekit.masking import mask_report
from clausekit.merge import merge
from clausekit.read import ReadLimits, read_sources
from clausekit.recognise import recognise
from clausekit.report import views
from clausekit.settings import Settings
from clausekit.spec import Spec, load_spec
from clausekit.validate import Validated, validate
from clausekit.write import (
    output_set,
    write_csv,
    write_json,
    write_markdown,
    write_tables_csv,
    write_xlsx,
)

FORMATS = ("xlsx", "json", "csv", "markdown")

UNREADABLE_CODES = frozenset(
    {
        "FILE_UNREADABLE",
        "FILE_FORMAT_UNKNOWN",
        "FILE_ENCRYPTED",
        "FILE_HOSTILE",
        "FILE_TOO_SLOW",
        "FILE_NOT_FOUND",
    }
)


@dataclass
class CheckResult:
    """What validation found, source by source."""

    validated: list[Validated]
    issues: list[Issue]
    unreadable: list[str]
    files: list[str]

    @property
    def sources(self) -> list[dict[str, Any]]:
        out = []
        for v in self.validated:
            raw = v.recognised.raw
            out.append(
                {
                    "file": raw.file,
                    "sheet": raw.sheet or "",
                    "territory": raw.source.territory_hint,
                    "kind": "+".join(v.recognised.kinds),
                    "rows_read": v.rows_read,
                    "rows_accepted": v.rows_accepted,
                    "rows_rejected": v.rows_rejected,
                    "rows_skipped": v.rows_skipped,
                }
            )
        return out

    @property
    def rejects(self) -> pd.DataFrame:
        frames = []
        for v in self.validated:
            if len(v.rejected):
                raw = v.recognised.raw
                frame = v.rejected.rename(columns={"_row": "row"})
                frame.insert(0, "sheet", raw.sheet or "")
                frame.insert(0, "file", raw.file)
                frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["file", "sheet", "row", "reasons"])
        return pd.concat(frames, ignore_index=True)

    @property
    def rows_rejected(self) -> int:
        return sum(v.rows_rejected for v in self.validated)

    def exit_code(self) -> ExitCode:
        if self.unreadable or any(i.code in UNREADABLE_CODES for i in self.issues):
            return ExitCode.UNREADABLE
        if any(i.severity == "error" for i in self.issues) or any(
            i.code in WARNINGS_THAT_MATTER for i in self.issues
        ):
            return ExitCode.DATA_ISSUES
        return ExitCode.OK


def check(
    paths: list[Path], *, spec: Spec | None = None, limits: ReadLimits | None = None
) -> CheckResult:
    """Read, recognise and validate every export under ``paths`` (no report)."""
    spec = spec or load_spec()
    read = read_sources(paths, limits)
    issues = list(read.issues)
    validated: list[Validated] = []
    for raw in read.sheets:
        rec = recognise(raw, spec)
        if rec is None:
            continue
        if not rec.kinds:
            issues.extend(rec.issues)
            continue
        v = validate(rec, spec)
        validated.append(v)
        issues.extend(v.issues)
    return CheckResult(validated, issues, read.unreadable, read.files)


@dataclass
class ConsolidationResult:
    report: dict[str, Any]
    checked: CheckResult
    outputs: list[Path] = field(default_factory=list)
    exit_code: ExitCode = ExitCode.OK
    elapsed: float = 0.0


def build_report(
    checked: CheckResult, *, spec: Spec, settings: Settings, secret: bytes | None = None
) -> tuple[dict[str, Any], list[Issue]]:
    """Merge the accepted rows and compute the report dict (report-contract.md)."""
    data = merge(checked.validated, spec, secret=secret)
    body = compute(data, spec, settings)
    issues = checked.issues + data.issues
    report = {
        "clausekit_version": __version__,
        "period": body.pop("period"),
        "settings": settings.to_dict(),
        "sources": checked.sources,
        **body,
        "issues": [i.to_dict() for i in issues],
    }
    return report, issues


def consolidate(
    paths: list[Path],
    out_dir: Path,
    *,
    settings: Settings | None = None,
    spec: Spec | None = None,
    strict: bool = False,
    secret: bytes | None = None,
    limits: ReadLimits | None = None,
    formats: tuple[str, ...] = ("xlsx", "json"),
    mask_below: int = 0,
) -> ConsolidationResult:
    """Consolidate every export under ``paths`` and write the report into ``out_dir``.

    Raises :class:`InputError` when no input could be read at all. Under ``strict``, any
    rejected row is fatal: nothing is written and the exit code says why.
    """
    started = time.monotonic()
    spec = spec or load_spec()
    settings = settings or Settings()
    checked = check(paths, spec=spec, limits=limits)
    if not checked.validated:
        raise InputError("Aucune table exploitable dans les chemins donnés.")
    report, all_issues = build_report(checked, spec=spec, settings=settings, secret=secret)
    if mask_below > 1:
        report = mask_report(report, mask_below)
    checked_all = CheckResult(checked.validated, all_issues, checked.unreadable, checked.files)
    code = checked_all.exit_code()
    result = ConsolidationResult(report, checked_all, exit_code=code)
    if strict and checked.rows_rejected:
        return result
    rejects = checked.rejects
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = views(report, rejects)
    names: list[str] = []
    with output_set(out_dir) as stage:
        if "json" in formats:
            write_json(report, stage("rapport.json"))
            names.append("rapport.json")
        if "xlsx" in formats:
            write_xlsx(tables, stage("rapport.xlsx"))
            names.append("rapport.xlsx")
        if "markdown" in formats:
            write_markdown(tables, stage("rapport.md"))
            names.append("rapport.md")
        if "csv" in formats:
            names += write_tables_csv(tables[:-1], stage, "tableaux")
        write_csv(rejects, stage("rejets.csv"))
        names.append("rejets.csv")
    outputs = [out_dir / name for name in names]
    result.outputs = outputs
    result.elapsed = time.monotonic() - started
    return result
