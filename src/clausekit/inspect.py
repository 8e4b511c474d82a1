"""``clausekit inspect``: what clausekit understands of an export, sheet by sheet, column by
column, and the clausekit.toml lines that map the columns it does not know.

Everything said comes from the same recognition as a run
(:func:`clausekit.pipeline.recognise.recognise` with the mappings of clausekit.toml and of
``--map``); this module only explains it. No cell value is ever shown: a column is described by
the kinds of values it holds (dates, numbers, text…) and how many, so that a people sheet can
be inspected without showing a name or a birth date.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from clausekit.errors import ExitCode, Issue, UsageError
from clausekit.errors import exit_code as run_exit_code
from clausekit.pipeline.read import RawSheet, read_files
from clausekit.pipeline.recognise import (
    HEADER_SEARCH_ROWS,
    MONTH_PREFIX,
    PUBLIC_PREFIX,
    column_letter,
    recognise,
)
from clausekit.routine.config import Config
from clausekit.rules.fields import field_label, fields, resolve_field
from clausekit.rules.headers import normalise_label
from clausekit.rules.schemas import Spec, load_spec

# How a column was recognised (shown as is)
RULE_ALIAS = "alias"  # the header is one of the accepted headers of schemas/, as written
RULE_NORMALISED = "normalisation"  # the same once case, accents, punctuation, units dropped
RULE_MAP_OPTION = "correspondance --map"
RULE_MAP_CONFIG = "correspondance de clausekit.toml"
RULE_MONTH = "mois en colonne"
RULE_PUBLIC = "colonne de public"
UNRECOGNISED = "non reconnue"
DUPLICATE = "en double : aucune des colonnes de même en-tête n'est lue"
CLOSEST_COUNT = 3
CLOSEST_CUTOFF = 0.5  # share of the header's words starting an accepted header's words
LETTERS_CUTOFF = 0.6  # difflib ratio of the letters


@dataclass(frozen=True)
class ColumnReport:
    letter: str  # the spreadsheet column (A, B, …)
    header: str  # as written in the file
    field: str | None  # canonical field it maps to, None when not read
    rule: str  # how it was recognised, or why it is not read
    closest: tuple[str, ...] = ()  # nearest fields, for a column not recognised
    values: str = ""  # the kinds of values seen, with counts (never a value)


@dataclass(frozen=True)
class SheetReport:
    sheet: str | None  # None for a csv
    header_row: int | None  # as Excel shows it; None when no header was found
    kinds: tuple[str, ...]  # table kinds recognised
    rows: int  # data rows below the header (blank and total rows left out)
    columns: tuple[ColumnReport, ...]
    missing: dict[str, tuple[str, ...]]  # kind -> required fields not found
    reason: str | None = None  # why no table was recognised

    @property
    def usable(self) -> bool:
        return bool(self.kinds) and not any(self.missing.values())


@dataclass(frozen=True)
class FileReport:
    file: str
    territory: str
    sheets: tuple[SheetReport, ...]
    issues: tuple[Issue, ...] = ()  # why the file, or a sheet, could not be read
    unreadable: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["issues"] = [i.to_dict() for i in self.issues]
        for sheet, report in zip(data["sheets"], self.sheets, strict=True):
            sheet["usable"] = report.usable
        return data


# --------------------------------------------------------------------------- mappings


def parse_maps(texts: Iterable[str], spec: Spec | None = None) -> dict[str, str]:
    """``--map "Ref bénéf.=participant"`` options -> {header: canonical field}."""
    maps: dict[str, str] = {}
    for text in texts:
        header, sep, target = text.rpartition("=")
        header, target = header.strip(), target.strip()
        if not sep or not header or not target:
            raise UsageError(
                f"--map « {text} » : écrivez l'en-tête du fichier, le signe = et le champ, par "
                'exemple --map "Ref bénéf.=participant".'
            )
        canonical = resolve_field(target, spec)
        if canonical is None:
            known = ", ".join(fields(spec))
            raise UsageError(
                f"--map « {text} » : « {target} » n'est pas un champ connu. Champs connus (nom "
                f"ou libellé français) : {known}."
            )
        maps[header] = canonical
    return maps


# --------------------------------------------------------------------------- values


_MONTH_WORD = (  # a month's name or abbreviation, French or English (« janv.-25 », « June 2025 »)
    r"(?:janv?|janvier|january|f[ée]vr?|f[ée]vrier|feb|february|mars?|march|avr|avril|apr|april|"
    r"mai|may|juin|june?|juil|juillet|july?|ao[ûu]t|aug|august|sept?|septembre|september|oct|"
    r"octobre|october|nov|novembre|november|d[ée]c|d[ée]cembre|dec|december)"
)
_KINDS_OF_VALUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("heures (h:mm)", re.compile(r"\d{1,4}:\d{2}(?::\d{2})?|1899-12-3[01] \d{2}:\d{2}:\d{2}")),
    ("dates", re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2})?|\d{1,2}/\d{1,2}/\d{2,4}")),
    ("mois", re.compile(r"\d{1,2}/\d{4}|\d{4}-\d{2}|" + _MONTH_WORD + r"\.?[- ]\d{2,4}", re.I)),
    ("nombres entiers", re.compile(r"[+-]?\d+|[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+")),
    (
        "nombres décimaux",
        re.compile(r"[+-]?\d+[.,]\d+|[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+[.,]\d+"),
    ),
    ("Oui/Non", re.compile(r"(?i:oui|non|vrai|faux|true|false|x)")),
)


def _kind_of_value(text: str) -> str:
    text = text.strip()
    for name, pattern in _KINDS_OF_VALUES:
        if pattern.fullmatch(text):
            return name
    return "texte"


def describe_values(values: Iterable[object], rows: int) -> str:
    """« dates (3), texte (1), vides (2) »: the kinds of the values and how many, never a value."""
    kinds: Counter[str] = Counter()
    for value in values:
        text = value.strip() if isinstance(value, str) else ""  # cells arrive as text, or NA
        if text:
            kinds[_kind_of_value(text)] += 1
    filled = sum(kinds.values())
    if not filled:
        return "vide"
    parts = [f"{name} ({count})" for name, count in sorted(kinds.items(), key=lambda k: -k[1])]
    if filled < rows:
        parts.append(f"vides ({rows - filled})")
    return ", ".join(parts)


# --------------------------------------------------------------------------- closest fields


def _tokens(text: str) -> list[str]:
    return normalise_label(text).split()


def _score(header: str, candidate: str) -> tuple[float, float]:
    """Likeness of two headers: the share of the header's words that start one of the
    candidate's (« Ref bénéf. » and « ID bénéficiaire »), or of their letters; then the
    letters, to rank ties."""
    a, b = normalise_label(header), normalise_label(candidate)
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    words, others = _tokens(header), _tokens(candidate)
    starts = sum(any(o.startswith(w) for o in others) for w in words) / len(words) if words else 0
    likeness = max(ratio if ratio >= LETTERS_CUTOFF else 0.0, starts)
    return likeness, ratio


def closest_fields(header: str, spec: Spec) -> tuple[str, ...]:
    """The fields whose accepted headers look most like ``header``, best first."""
    best: dict[str, tuple[float, float]] = {}
    for table in spec.tables.values():
        for col in table.columns:
            for alias in (col.label, *col.aliases, col.name.replace("_", " ")):
                best[col.name] = max(best.get(col.name, (0.0, 0.0)), _score(header, alias))
    ranked = sorted(
        (-score[0], -score[1], name) for name, score in best.items() if score[0] >= CLOSEST_CUTOFF
    )
    return tuple(name for _, _, name in ranked[:CLOSEST_COUNT])


# --------------------------------------------------------------------------- one sheet


def _verbatim(spec: Spec) -> dict[str, set[str]]:
    """Field -> its accepted headers exactly as schemas/ writes them."""
    out: dict[str, set[str]] = {}
    for table in spec.tables.values():
        for col in table.columns:
            out.setdefault(col.name, set()).update((col.label, *col.aliases))
    return out


def _no_table_reason(spec: Spec) -> str:
    needs = []
    for table in spec.tables.values():
        parts = [f"« {c} »" for c in table.signature_all]
        if table.signature_any:
            parts.append("l'un de " + ", ".join(f"« {c} »" for c in table.signature_any))
        needs.append(f"{table.label} : {' et '.join(parts)}")
    return "aucune table reconnue ; il faudrait, pour " + " ; pour ".join(needs) + "."


def inspect_sheet(
    raw: RawSheet,
    spec: Spec,
    config_maps: Mapping[str, str],
    option_maps: Mapping[str, str],
) -> SheetReport | None:
    """What recognition makes of one sheet; None for an empty sheet."""
    rec = recognise(raw, spec, {**config_maps, **option_maps})
    if rec is None:
        return None
    if not rec.columns and not rec.kinds:
        reason = (
            f"aucune ligne d'en-tête trouvée dans les {HEADER_SEARCH_ROWS} premières lignes "
            "(il faut au moins deux colonnes reconnues sur une même ligne)."
        )
        return SheetReport(raw.sheet, None, (), 0, (), {}, reason)
    rows = rec.data.index
    body = raw.frame.loc[rows] if len(rows) else raw.frame.iloc[0:0]
    rules = _Rules(rec, spec, config_maps, option_maps)
    columns = []
    for pos, header in enumerate(rec.header_labels):
        if not header.strip():
            continue
        values = describe_values(body.iloc[:, pos].tolist(), len(rows))
        target, rule, closest = rules.of(pos, header)
        letter = column_letter(pos + raw.first_column)
        columns.append(ColumnReport(letter, header, target, rule, closest, values))
    missing = {
        kind: tuple(
            c.name for c in spec.tables[kind].columns if c.required and c.name not in rec.columns
        )
        for kind in rec.kinds
    }
    why = None if rec.kinds else _no_table_reason(spec)
    return SheetReport(
        raw.sheet, rec.header_row, tuple(rec.kinds), len(rows), tuple(columns), missing, why
    )


class _Rules:
    """How each column of a recognised sheet was read, or why it is not."""

    def __init__(
        self,
        rec: Any,
        spec: Spec,
        config_maps: Mapping[str, str],
        option_maps: Mapping[str, str],
    ) -> None:
        self.spec = spec
        self.from_option = {normalise_label(h) for h in option_maps}
        self.from_config = {normalise_label(h) for h in config_maps}
        self.verbatim = _verbatim(spec)
        self.by_position = {pos: name for name, pos in rec.columns.items()}
        self.norm = [normalise_label(label) for label in rec.header_labels]
        self.counts = Counter(n for n in self.norm if n)
        self.unmapped = {i.column for i in rec.issues if i.code == "COLUMN_UNMAPPED"}
        self.ambiguous = {
            str(i.column): dict(i.params) for i in rec.issues if i.code == "COLUMN_AMBIGUOUS"
        }

    def of(self, pos: int, header: str) -> tuple[str | None, str, tuple[str, ...]]:
        """(field fed, rule, closest fields) of the column at ``pos``."""
        name = self.by_position.get(pos)
        if name is not None and name.startswith(MONTH_PREFIX):
            return "heures_realisees", f"{RULE_MONTH} ({name.removeprefix(MONTH_PREFIX)})", ()
        if name is not None and name.startswith(PUBLIC_PREFIX):
            return "publics", f"{RULE_PUBLIC} ({name.removeprefix(PUBLIC_PREFIX)})", ()
        if name is not None:
            return name, self._mapped_rule(pos, header, name), ()
        if self.counts[self.norm[pos]] > 1:
            return None, DUPLICATE, ()
        if header in self.unmapped:
            return None, UNRECOGNISED, closest_fields(header, self.spec)
        # one of several columns for one field (COLUMN_AMBIGUOUS): another is kept
        kept = next(
            (p for f, p in self.ambiguous.items() if f"« {header} »" in p.get("found", "")), {}
        )
        closest = (kept["column_label"],) if "column_label" in kept else ()
        return None, f"ignorée : « {kept.get('kept')} » est retenue pour ce champ", closest

    def _mapped_rule(self, pos: int, header: str, name: str) -> str:
        if self.norm[pos] in self.from_option:
            return RULE_MAP_OPTION
        if self.norm[pos] in self.from_config:
            return RULE_MAP_CONFIG
        if header.strip() in self.verbatim.get(name, ()):
            return RULE_ALIAS
        return RULE_NORMALISED


def exit_code(reports: list[FileReport]) -> ExitCode:
    """inspect explains, it does not judge the data: 3 when a file could not be read, else 0."""
    return run_exit_code((), unreadable=any(r.unreadable for r in reports))


# --------------------------------------------------------------------------- files


def inspect_files(
    paths: Iterable[Path],
    *,
    config: Config | None = None,
    maps: Mapping[str, str] | None = None,
    spec: Spec | None = None,
) -> list[FileReport]:
    """Explain every sheet of the exports under ``paths``: header row, table kinds, each
    column's field and rule (``maps``: the ``--map`` options, over clausekit.toml's)."""
    spec = spec or load_spec()
    config = config or Config()
    maps = maps or {}
    territory_of = config.territory_of if config.territories else None
    reading = read_files(list(paths), territory_of=territory_of)
    reports: list[tuple[int, FileReport]] = []
    for file in reading.results:
        territory = file.source.territory_hint
        sheets = []
        for raw in file.sheets:
            sheet = inspect_sheet(raw, spec, config.columns_for(territory), maps)
            if sheet is not None:
                sheets.append(sheet)
        report = FileReport(
            file.source.display, territory, tuple(sheets), tuple(file.issues), file.unreadable
        )
        reports.append((file.order, report))
    found = [FileReport(i.file or "", "", (), (i,), True) for i in reading.issues if i.file]
    return found + [r for _, r in sorted(reports, key=lambda x: x[0])]


# --------------------------------------------------------------------------- snippet


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def config_snippet(reports: list[FileReport], maps: Mapping[str, str]) -> str:
    """A ``[colonnes]`` block for clausekit.toml: the ``--map`` columns, then each column not
    recognised with its closest field commented out, for the user to confirm."""
    lines = ["[colonnes]"]
    for header, target in maps.items():
        lines.append(f"{_toml_string(header)} = {_toml_string(target)}  # {field_label(target)}")
    seen = {normalise_label(h) for h in maps}
    for report in reports:
        for sheet in report.sheets:
            for column in sheet.columns:
                key = normalise_label(column.header)
                if column.rule != UNRECOGNISED or key in seen:
                    continue
                seen.add(key)
                if column.closest:
                    guess = column.closest[0]
                    lines.append(
                        f"# {_toml_string(column.header)} = {_toml_string(guess)}  # à confirmer : "
                        f"{field_label(guess)}"
                    )
                else:
                    lines.append(f"# {_toml_string(column.header)} : aucun champ proche")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- text


def _field_text(name: str) -> str:
    return f"{name} ({field_label(name)})"


def render_text(reports: list[FileReport], spec: Spec | None = None) -> list[str]:
    """The reports as lines for a terminal (French)."""
    spec = spec or load_spec()
    lines: list[str] = []
    for report in reports:
        where = f" (territoire : {report.territory})" if report.territory else ""
        lines.append(f"Fichier {report.file}{where}")
        for issue in report.issues:
            lines.append(f"  {issue.message}")
        if not report.sheets and not report.unreadable:
            lines.append("  Aucune feuille non vide.")
        for sheet in report.sheets:
            name = f"Feuille « {sheet.sheet} »" if sheet.sheet is not None else "Contenu"
            if sheet.header_row is None:
                lines.append(f"  {name} : {sheet.reason}")
                continue
            kinds = ", ".join(spec.tables[k].label for k in sheet.kinds) or "aucune"
            lines.append(
                f"  {name} : en-tête ligne {sheet.header_row}, table : {kinds}, "
                f"{sheet.rows} ligne(s) de données."
            )
            for col in sheet.columns:
                if col.field is not None:
                    what = f"{_field_text(col.field)}, par {col.rule}"
                elif col.rule == UNRECOGNISED:
                    near = ", ".join(_field_text(c) for c in col.closest) or "aucun"
                    what = f"{UNRECOGNISED} ; champs proches : {near}"
                else:
                    what = col.rule
                lines.append(f"    {col.letter} « {col.header} » → {what} ; valeurs : {col.values}")
            if sheet.reason:
                lines.append(f"    {sheet.reason}")
            for kind, missing in sheet.missing.items():
                label = spec.tables[kind].label
                if missing:
                    listed = ", ".join(_field_text(m) for m in missing)
                    lines.append(f"    Manque pour « {label} » : {listed}.")
                else:
                    lines.append(f"    « {label} » : utilisable.")
    return lines


__all__ = [
    "ColumnReport",
    "FileReport",
    "SheetReport",
    "closest_fields",
    "config_snippet",
    "describe_values",
    "inspect_files",
    "parse_maps",
    "render_text",
]
