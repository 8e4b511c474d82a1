"""The bilan's building blocks: its print style sheet, its figures in French and its HTML
tables (:mod:`clausekit.output.bilan` lays out the pages with them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from clausekit.output.words import MONTH_SHORT, NOT_STATED
from clausekit.rules import metrics
from clausekit.rules.labels import french_number

NARROW = "\u202f"  # narrow no-break space: thousands, before % and before :

CSS = """
@page {
  size: A4;
  margin: 17mm 13mm 15mm 13mm;
  @top-left { content: "@RUNNING@"; font: 8pt 'DejaVu Sans', Arial, sans-serif;
              color: #555; }
  @top-right { content: "@PERIOD@"; font: 8pt 'DejaVu Sans', Arial, sans-serif;
               color: #555; }
  @bottom-left { content: "@PRODUCED@"; font: 8pt 'DejaVu Sans', Arial, sans-serif;
                 color: #555; }
  @bottom-right { content: "page " counter(page) " / " counter(pages);
                  font: 8pt 'DejaVu Sans', Arial, sans-serif; color: #555; }
}
html { font: 9.5pt/1.35 'DejaVu Sans', Arial, sans-serif; color: #111; }
body { margin: 0; }
@media screen { body { max-width: 184mm; margin: 1em auto; padding: 0 1em; } }
section { break-before: page; }
section:first-of-type { break-before: auto; }
h1 { font-size: 18pt; margin: 0 0 2mm; color: #1f4e78; }
h2 { font-size: 13pt; margin: 0 0 3mm; color: #1f4e78; border-bottom: 1.5pt solid #1f4e78; }
h3 { font-size: 10.5pt; margin: 5mm 0 2mm; break-after: avoid; }
p.period { font-size: 13pt; margin: 0 0 1mm; }
p.meta, p.note, ol.notes { font-size: 8pt; color: #333; }
table { border-collapse: collapse; width: 100%; margin: 0 0 2mm; font-size: 8pt;
        table-layout: auto; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #9a9a9a; padding: 1.2mm 1.4mm; vertical-align: top; }
th { background: #1f4e78; color: #fff; font-weight: bold; text-align: left; }
td.n, th.n { text-align: right; }
td.n { white-space: nowrap; }
tr.total td { font-weight: bold; background: #eef3f8; }
tr.share td { color: #1f4e78; font-style: italic; }
table.months { font-size: 7pt; }
table.months td, table.months th { padding: 0.8mm 0.9mm; }
svg.chart { width: 100%; height: auto; break-inside: avoid; display: block; margin: 2mm 0; }
ul.sources { margin: 0 0 3mm 4mm; padding: 0; font-size: 8.5pt; }
dl.defs dt { font-weight: bold; margin-top: 2mm; }
dl.defs dd { margin: 0 0 0 4mm; }
div.programme { break-inside: avoid; }
div.box { border: 1pt solid #c55a11; padding: 2mm 3mm; margin: 2mm 0; }
"""


# --------------------------------------------------------------------------- numbers


def number(value: Any, kind: str) -> str:
    """A figure in French: hours without decimals, rates in %, masked counts as they are,
    missing as « n.r. » (never zero)."""
    if value is None:
        return NOT_STATED
    if isinstance(value, str):
        return value
    if kind == "rate":
        return f"{value * 100:.1f}".replace(".", ",") + f"{NARROW}%"
    if kind == "hours":
        return french_number(value)
    if kind == "decimal":
        return french_number(value, 2)
    return french_number(value) if isinstance(value, int) else str(value)


def forecast(value: Any) -> Any:
    """A forecast of 0 hours is a forecast nobody stated (the metrics table says so)."""
    return metrics.stated("hours_forecast", value)


def css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def month_short(month: str, years: bool) -> str:
    text = MONTH_SHORT[int(month[5:]) - 1]
    return f"{text} {month[2:4]}" if years else text


# --------------------------------------------------------------------------- html pieces


def _lines(text: str) -> str:
    """Text for a cell, its line breaks kept."""
    return "<br>".join(escape(part) for part in text.split("\n"))


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric_from: int = 1,
    css: str = "",
    row_classes: Sequence[str] | None = None,
) -> str:
    """A table: ``rows`` already formatted; columns from ``numeric_from`` right-aligned."""
    heads = "".join(
        f'<th class="n">{_lines(h)}</th>' if i >= numeric_from else f"<th>{_lines(h)}</th>"
        for i, h in enumerate(header)
    )
    body = []
    for r, row in enumerate(rows):
        cls = f' class="{row_classes[r]}"' if row_classes and row_classes[r] else ""
        cells = "".join(
            f'<td class="n">{escape(str(c))}</td>'
            if i >= numeric_from
            else f"<td>{escape(str(c))}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    klass = f' class="{css}"' if css else ""
    return f"<table{klass}><thead><tr>{heads}</tr></thead><tbody>{''.join(body)}</tbody></table>"


STATS_COLUMNS = (
    "hours_forecast",
    "hours_realised",
    "realisation_rate",
    "participants",
    "contracts",
)


def _stat(record: dict[str, Any], key: str) -> str:
    return number(metrics.stated(key, record[key]), metrics.BY_KEY[key].kind)


def stats_table(
    records: list[dict[str, Any]], key_columns: Sequence[tuple[str, str]], totals: dict[str, Any]
) -> str:
    """Forecast against realised, one row per group, then the total; headings and number
    kinds from the metrics table."""
    header = [*(h for _, h in key_columns), *(metrics.BY_KEY[k].short for k in STATS_COLUMNS)]
    rows, classes = [], []
    for record in [*records, {**totals, key_columns[0][0]: "Ensemble"}]:
        rows.append(
            [
                *(record.get(k) or "" for k, _ in key_columns),
                *(_stat(record, k) for k in STATS_COLUMNS),
            ]
        )
        classes.append("")
    classes[-1] = "total"
    return table(header, rows, numeric_from=len(key_columns), row_classes=classes)
