"""The library's entry points: :func:`check` (read, recognise, validate) and
:func:`consolidate` (all stages, report written). The CLI commands are thin adapters."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from clausekit import __version__
from clausekit.errors import (
    UNREADABLE_CODES,
    ExitCode,
    InputError,
    Issue,
    exit_code,
    make_issue,
    output_error,
)
from clausekit.options import CORES, InputOptions, RunOptions
from clausekit.output.masking import deidentify, mask_report
from clausekit.output.textfiles import write_csv
from clausekit.output.views import TEAM_ANNEX, public_views, rejects_frame, team_views, views
from clausekit.output.writers import Rendered, output_set, write_document, write_formats
from clausekit.output.xlsx import write_xlsx
from clausekit.pipeline.indicators import compute
from clausekit.pipeline.merge import Dataset, merge
from clausekit.pipeline.read import FileRead, RawSheet, Reading, ReadLimits, start_reading
from clausekit.pipeline.recognise import recognise
from clausekit.pipeline.validate import Validated, validate
from clausekit.rules.schemas import Spec, load_spec
from clausekit.rules.settings import Settings


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
                    "hours_rejected": v.hours_rejected,
                }
            )
        return out

    @property
    def column_matches(self) -> list[dict[str, Any]]:
        """Every column read, per file and sheet: the header as written, the field it feeds
        and the rule that matched it (nothing is guessed silently)."""
        out = []
        for v in self.validated:
            rec = v.recognised
            for name, label in rec.labels.items():
                out.append(
                    {
                        "file": rec.raw.file,
                        "sheet": rec.raw.sheet or "",
                        "column": label,
                        "field": name,
                        "rule": rec.rules.get(name, ""),
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
        return exit_code(self.issues, unreadable=bool(self.unreadable))

    def to_dict(self) -> dict[str, Any]:
        """What ``clausekit validate --format json`` prints."""
        code = self.exit_code()
        return {
            "valid": code == ExitCode.OK,
            "exit_code": int(code),
            "sources": self.sources,
            "issues": [i.to_dict() for i in self.issues],
        }


def check(
    paths: list[Path],
    *,
    spec: Spec | None = None,
    limits: ReadLimits | None = None,
    inputs: InputOptions | None = None,
    reading: Reading | None = None,
) -> CheckResult:
    """Read, recognise and validate every export under ``paths`` (no report).

    Each file is recognised and validated as soon as it is read, while the child processes
    read the others; the results are then put back in the run's order (deterministic)."""
    spec = spec or load_spec()
    inputs = inputs or InputOptions()
    if reading is None:
        reading = start_reading(paths, limits, inputs)
    done: list[tuple[FileRead, list[Validated], list[Issue]]] = []

    def sheet(raw: RawSheet) -> tuple[Validated | None, list[Issue]]:
        rec = recognise(raw, spec, inputs.columns_for(raw.source.territory_hint))
        if rec is None:
            return None, []
        if not rec.kinds:
            return None, rec.issues
        v = validate(rec, spec)
        rec.release()
        return v, v.issues

    # the sheets of a workbook two at a time (pyarrow and pandas release the GIL in their
    # loops): the last workbook read is validated while nothing else is left to do
    with ThreadPoolExecutor(max_workers=CORES) as pool:
        for file in reading.results:
            outcomes = list(pool.map(sheet, file.sheets))
            validated = [v for v, _ in outcomes if v is not None]
            found = [i for _, issues in outcomes for i in issues]
            if not validated and not file.unreadable:
                found.append(no_table(file))
            file.sheets = []  # the raw text is no longer needed
            done.append((file, validated, found))
    done.sort(key=lambda d: d[0].order)
    issues = list(reading.issues)
    issues += [i for file, _, _ in done for i in file.issues]  # reading, then validation
    issues += [i for _, _, found in done for i in found]
    return CheckResult(
        [v for _, validated, _ in done for v in validated],
        issues,
        [file.source.display for file, _, _ in done if file.unreadable],
        reading.files,
    )


def no_table(file: FileRead) -> Issue:
    """FILE_NO_TABLE for a file read whole that gave no table, saying what it held."""
    sheets = file.sheets
    blank = [raw for raw in sheets if raw.frame.empty or not raw.frame.notna().to_numpy().any()]
    if not sheets:
        hidden = any(i.code == "SHEET_HIDDEN" for i in file.issues)
        detail = (
            " (ses feuilles sont masquées)"
            if hidden
            else " (le fichier ne contient aucune feuille)"
        )
    elif len(blank) == len(sheets) and any(raw.cell_issues for raw in sheets):
        detail = " (ses feuilles ne contiennent que des cellules en erreur ou des images)"
    elif len(blank) == len(sheets) and sheets[0].sheet is None:
        detail = " (il est vide)"
    elif len(blank) == len(sheets):
        detail = " (ses feuilles sont vides)" if len(sheets) > 1 else " (sa feuille est vide)"
    else:
        detail = ""
    return make_issue("FILE_NO_TABLE", file=file.source.display, detail=detail)


@dataclass
class ConsolidationResult:
    report: dict[str, Any]
    checked: CheckResult
    outputs: list[Path] = field(default_factory=list)
    exit_code: ExitCode = ExitCode.OK
    elapsed: float = 0.0


def build_report(
    checked: CheckResult,
    *,
    spec: Spec,
    settings: Settings,
    secret: bytes | None = None,
    ignored: tuple[tuple[Path, str], ...] = (),
    release: bool = False,
    declared: tuple[str, ...] = (),
    territory_of: Callable[[Path], str | None] | None = None,
) -> tuple[dict[str, Any], list[Issue]]:
    """Merge the accepted rows and compute the report dict (report-contract.md).
    ``release`` frees the per-sheet tables once merged (they are not needed afterwards).
    ``declared``: the configured territories of the run; one with no usable data keeps its
    row in ``by_territory`` (values null, ``usable_export`` false)."""
    data = _merged(checked, spec, settings, secret=secret, release=release)
    body = _indicators(data, spec, settings)
    status = _declared_status(body["by_territory"], checked, declared, territory_of)
    body["territories_declared"] = status
    for part in (body, body.get("year_to_date") or {}):
        if "by_territory" in part:
            part["by_territory"] = with_declared(part["by_territory"], status)
    issues = _run_issues(checked, data, body)
    return _report(checked, data, body, settings, issues, ignored), issues


def _merged(
    checked: CheckResult, spec: Spec, settings: Settings, *, secret: bytes | None, release: bool
) -> Dataset:
    """The accepted rows of every source in one dataset; ``release``: the per-sheet tables
    freed once merged (the merged dataset has everything the indicators need)."""
    pattern = None
    if settings.non_work_contracts:
        from clausekit.routine.config import not_work_pattern

        pattern = not_work_pattern(settings.non_work_contracts)
    data = merge(
        checked.validated,
        spec,
        secret=secret,
        non_work_pattern=pattern,
        forecast_level=settings.forecast_level,
    )
    if release:
        for validated in checked.validated:
            validated.tables = {}
    return data


def _indicators(data: Dataset, spec: Spec, settings: Settings) -> dict[str, Any]:
    """The indicators of the period, and of the year to date when a month is read."""
    from clausekit.pipeline.cumulative import year_to_date

    body = compute(data, spec, settings)
    cumulative = year_to_date(data, spec, settings, body["period"])
    if cumulative is not None:  # a month read against its year
        body["year_to_date"] = cumulative
    return body


def _run_issues(checked: CheckResult, data: Dataset, body: dict[str, Any]) -> list[Issue]:
    """The run's issues: validation's (those of exports set aside dropped), the merge's, and
    NO_HOURS when the period has no hours at all."""
    issues = _without_set_aside(checked.issues, data) + data.issues
    if not body["totals"]["hours_realised"]:
        period = body["period"]
        where = f" pour la période {period['start']} à {period['end']}" if period["start"] else ""
        issues.append(make_issue("NO_HOURS", where=where))
    return issues


def _report(
    checked: CheckResult,
    data: Dataset,
    body: dict[str, Any],
    settings: Settings,
    issues: list[Issue],
    ignored: tuple[tuple[Path, str], ...],
) -> dict[str, Any]:
    """The report dict, in the order of report-contract.md."""
    return {
        "clausekit_version": __version__,
        "period": body.pop("period"),
        "settings": settings.to_dict(),
        "sources": _sources(checked, data),
        **body,
        "column_matches": checked.column_matches,
        "unmapped_columns": [
            {"file": i.file, "sheet": i.sheet, "column": i.column}
            for i in issues
            if i.code == "COLUMN_UNMAPPED"
        ],
        "inputs": {
            "used": checked.files,
            "ignored": [{"file": str(path), "reason": why} for path, why in ignored]
            + _set_aside(issues, data),
        },
        "issues": [i.to_dict() for i in issues],
    }


DECLARED_WORDS = {
    "used": "export exploité",
    "missing": "aucun export trouvé",
    "unusable": "aucun export exploitable (fichier illisible ou sans ligne acceptée)",
}


def _declared_status(
    by_territory: list[dict[str, Any]],
    checked: CheckResult,
    declared: tuple[str, ...],
    territory_of: Callable[[Path], str | None] | None,
) -> list[dict[str, Any]]:
    """Each declared territory: its data used, no export found, or exports found of which
    nothing could be used (unreadable, every row rejected, no table)."""
    present = {str(t["territory"]) for t in by_territory if t.get("territory") is not None}
    found: dict[str, int] = {}
    for name in [*checked.files, *checked.unreadable]:
        owner = territory_of(Path(name)) if territory_of is not None else None
        if owner is not None:
            found[owner] = found.get(owner, 0) + 1
    out = []
    for name in declared:
        status = "used" if name in present else "unusable" if found.get(name) else "missing"
        out.append(
            {
                "territory": name,
                "status": status,
                "label": DECLARED_WORDS[status],
                "files": found.get(name, 0),
            }
        )
    return out


def with_declared(
    by_territory: list[dict[str, Any]], declared: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The territories of the data (``usable_export`` true), and a row for each declared
    territory without usable data: every value null (« n.r. »), never 0."""
    from clausekit.pipeline.indicators import STAT_KEYS

    rows = [{**t, "usable_export": True} for t in by_territory]
    for d in declared:
        if d["status"] != "used":
            rows.append(
                {
                    "territory": d["territory"],
                    **dict.fromkeys(STAT_KEYS),
                    "usable_export": False,
                    "status": d["status"],
                }
            )
    return sorted(rows, key=lambda t: (t["territory"] is None, str(t["territory"])))


LEVEL_WORDS = {"operation": "par opération", "contract": "par contrat", "conflict": "incohérent"}


def _sources(checked: CheckResult, data: Dataset) -> list[dict[str, Any]]:
    """The sources with their export date, the forecast level read and the rows that a newer
    export of the same territory replaced."""
    out = []
    for source in checked.sources:
        file, sheet = source["file"], source["sheet"]
        dated = data.export_dates.get(file)
        level = data.forecast_levels.get((file, sheet))
        out.append(
            {
                **source,
                "export_date": dated.when.strftime("%Y-%m-%d") if dated else None,
                "export_date_from": dated.how if dated else None,
                "forecast_level": level,
                "forecast_level_label": LEVEL_WORDS.get(level or "", ""),
                "rows_superseded": data.superseded.rows.get((file, sheet), 0),
            }
        )
    return out


def _without_set_aside(issues: list[Issue], data: Dataset) -> list[Issue]:
    """The cell and row issues of an export set aside (a newer export holds all its rows) are
    not the user's to fix: that export counts for nothing. What concerns the file itself
    (how it was read) stays."""
    gone = data.superseded.emptied
    return [i for i in issues if i.file not in gone or i.row is None]


def _set_aside(issues: list[Issue], data: Dataset) -> list[dict[str, str]]:
    """Files read but not counted: identical copies, and exports all of whose rows are in a
    newer export of the same territory."""
    out = [
        {"file": str(i.file), "reason": f"contenu identique à {dict(i.params)['other']}"}
        for i in issues
        if i.code == "FILE_DUPLICATE"
    ]
    for file in sorted(data.superseded.emptied):
        newer = data.superseded.by[file]
        when = data.export_dates.get(newer)
        dated = f", {when.describe()}" if when else ""
        out.append(
            {
                "file": file,
                "reason": f"remplacé par un export plus récent : toutes ses lignes figurent "
                f"dans {Path(newer).name}{dated}",
            }
        )
    return out


def consolidate(
    paths: list[Path],
    out_dir: Path,
    options: RunOptions | None = None,
    *,
    spec: Spec | None = None,
    limits: ReadLimits | None = None,
    inputs: InputOptions | None = None,
    reading: Reading | None = None,
    **overrides: Any,
) -> ConsolidationResult:
    """Consolidate every export under ``paths`` and write the report into ``out_dir``.

    ``overrides`` are :class:`RunOptions` fields (``consolidate(p, out, strict=True)``).
    ``reading``: the files of ``paths`` already being read
    (:func:`~clausekit.pipeline.read.start_reading`).
    Raises :class:`InputError` when no input could be read at all. Under ``strict``, any
    rejected row is fatal: nothing is written and the exit code says why. With a history
    database, the period's aggregates are recorded (replacing an earlier run of the same
    period) and the xlsx shows the evolution since the previous recorded period.
    """
    started = time.monotonic()
    options = replace(options or RunOptions(), **overrides)
    spec = spec or load_spec()
    inputs = inputs or InputOptions()
    checked = check(paths, spec=spec, limits=limits, inputs=inputs, reading=reading)
    if not checked.validated:
        raise _nothing_to_report(checked, paths)
    report, all_issues = build_report(
        checked,
        spec=spec,
        settings=options.settings,
        secret=options.secret,
        ignored=inputs.ignored,
        release=True,
        declared=inputs.declared,
        territory_of=inputs.territory_of,
    )
    checked_all = CheckResult(checked.validated, all_issues, checked.unreadable, checked.files)
    result = ConsolidationResult(report, checked_all, exit_code=checked_all.exit_code())
    if options.strict and (checked.rows_rejected or checked.unreadable):
        return result  # nothing written: the exit code says why
    rejects = checked.rejects
    result.report, tables, annex = _rendered(report, rejects, all_issues, options)
    try:
        names = _write_outputs(out_dir, options.formats, result.report, tables, rejects, annex)
    except OSError as exc:  # a file in the way, no permission, disk full: the user's to fix
        raise output_error(exc, out_dir) from exc
    result.outputs = [out_dir / name for name in names]
    if options.history is not None:  # only once the report is in place: all or nothing
        _record_history(options.history, report, checked.files)
    result.elapsed = time.monotonic() - started
    return result


def _rendered(
    report: dict[str, Any], rejects: pd.DataFrame, issues: list[Issue], options: RunOptions
) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """The report as written, its tables and the team's annex. Masked (``mask_below``): the
    report deidentified, its row-level detail and paths in the annex only; else the full
    tables, with the evolution since the previous recorded period (unmasked counts: never
    in a shared report)."""
    if options.mask_below > 1:
        masked = deidentify(mask_report(report, options.mask_below), issues)
        return masked, public_views(masked), team_views(report, rejects)
    evolution = None
    if options.history is not None:
        evolution = _history_preview(options.history, report)
    return report, views(report, rejects, evolution), []


def _write_outputs(
    out_dir: Path,
    formats: tuple[str, ...],
    report: dict[str, Any],
    tables: list[Any],
    rejects: pd.DataFrame,
    annex: list[Any],
) -> list[str]:
    """Write the outputs, all or nothing; with an ``annex`` (a masked report), the rejected
    rows go there, beside the report, under the annex's name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    with output_set(out_dir) as stage:
        rendered = Rendered(report, tables)
        names += write_formats(rendered, formats, stage)
        rejects_name = f"{TEAM_ANNEX}-rejets.csv" if annex else "rejets.csv"
        write_csv(rejects_frame(rejects), stage(rejects_name))
        names.append(rejects_name)
        if annex:
            write_xlsx(annex, stage(f"{TEAM_ANNEX}.xlsx"))
            names.append(f"{TEAM_ANNEX}.xlsx")
        names += write_document(rendered, stage)
    return names


def _nothing_to_report(checked: CheckResult, paths: list[Path]) -> Exception:
    """Why no table came out of ``paths``, file by file: a path not found or a file that
    could not be read (exit 3), else files read that hold no table (exit 1)."""
    from clausekit.errors import NoTableError

    stops = [i for i in checked.issues if i.code in UNREADABLE_CODES]
    empty = [i for i in checked.issues if i.code == "FILE_NO_TABLE"]
    lines = "\n".join(f"{i.file} : {i.message}" for i in stops + empty)
    if stops:
        return InputError(f"Aucun rapport écrit.\n{lines}")
    if empty:
        return NoTableError(f"Aucun rapport écrit.\n{lines}")
    where = ", ".join(str(p) for p in paths) or "les chemins donnés"
    return InputError(f"Aucun export (.xlsx, .xls, .ods, .csv) trouvé dans {where}.")


def _history_preview(path: Path, report: dict[str, Any]) -> Any:
    """The evolution since the previous recorded period, as a table (None: no previous)."""
    from clausekit.routine.history import DIFF_HEADER, History, diff_table, period_key

    period = period_key(report)
    with History(path) as history:
        found = history.preview(period, report)
    if found is None:
        return None
    previous, diff = found
    return previous, period, pd.DataFrame(diff_table(diff), columns=list(DIFF_HEADER))


def _record_history(path: Path, report: dict[str, Any], files: list[str]) -> None:
    """Record the period's aggregates (never personal data), replacing an earlier run of the
    same period, in one transaction."""
    from clausekit.routine.history import History, inputs_hash, period_key

    with History(path) as history:
        history.record(period_key(report), inputs_hash([Path(f) for f in files]), report)
