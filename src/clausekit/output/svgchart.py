"""Vector charts for the bilan: grouped bars and lines, written as inline SVG.

Hand-written rather than drawn by a charting library: the bilan needs two kinds of chart,
and measured on the same chart (README, « Notes de conception ») matplotlib's svg backend costs
about 1.5 s of import and 0.2 s a chart, pygal 0.2 s and 30 ms, this module nothing to import
and well under a millisecond. The text stays text (selectable, searchable in the PDF) and the
lines stay sharp at any zoom and in print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from clausekit.rules.labels import french_number

WIDTH, HEIGHT = 680, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 30, 58
COLOURS = ("#1f4e78", "#c55a11", "#70ad47", "#7f6000", "#7030a0")
FONT = "font-family:'DejaVu Sans',Arial,sans-serif"


def nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 × a power of ten) giving about ``ticks`` intervals to ``top``."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _numbers(values: Sequence[object]) -> list[float | None]:
    return [float(v) if isinstance(v, (int, float)) else None for v in values]  # masked: gap


def _frame(title: str, y_title: str, top: float, step: float) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" style="{FONT}">',
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13" '
        f'font-weight="bold">{escape(title)}</text>',
        f'<text x="12" y="{TOP + plot_h / 2}" font-size="10" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2})">{escape(y_title)}</text>',
    ]
    tick = 0.0
    while tick <= top + step / 1000:
        y = TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d0d0d0" stroke-width="0.6"/>'
        )
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" font-size="9" text-anchor="end">'
            f"{french_number(tick)}</text>"
        )
        tick += step
    return parts


def _category_labels(categories: Sequence[str], centres: list[float]) -> list[str]:
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    rotate = any(len(c) * 5.5 > slot for c in categories)
    out = []
    for label, x in zip(categories, centres, strict=True):
        text = label if len(label) <= 28 else label[:27] + "…"
        y = HEIGHT - BOTTOM + 12
        if rotate:
            out.append(
                f'<text x="{x:.1f}" y="{y}" font-size="8.5" text-anchor="end" '
                f'transform="rotate(-30 {x:.1f} {y})">{escape(text)}</text>'
            )
        else:
            out.append(
                f'<text x="{x:.1f}" y="{y}" font-size="9" text-anchor="middle">'
                f"{escape(text)}</text>"
            )
    return out


def _legend(names: Sequence[str]) -> list[str]:
    out = []
    x: float = LEFT
    for i, name in enumerate(names):
        colour = COLOURS[i % len(COLOURS)]
        out.append(f'<rect x="{x}" y="22" width="10" height="6" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="28" font-size="9">{escape(name)}</text>')
        x += 24 + 5.5 * len(name)
    return out


def _scale(series: Sequence[tuple[str, Sequence[object]]]) -> tuple[float, float]:
    values = [v for _, vs in series for v in _numbers(vs) if v is not None]
    peak = max(values, default=0.0)
    step = nice_step(peak)
    return max(step * math.ceil(peak / step), step), step


@dataclass(frozen=True)
class _Plot:
    """The geometry shared by both kinds of chart: the scale, the plot area, one slot per
    category and its centre."""

    top: float
    step: float
    width: float
    height: float
    slot: float
    centres: list[float]

    @classmethod
    def of(cls, categories: Sequence[str], series: Sequence[tuple[str, Sequence[object]]]) -> _Plot:
        top, step = _scale(series)
        width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        slot = width / max(len(categories), 1)
        centres = [LEFT + (c + 0.5) * slot for c in range(len(categories))]
        return cls(top, step, width, height, slot, centres)

    def y(self, value: float) -> float:
        return TOP + self.height - self.height * value / self.top


def _chart(
    title: str,
    y_title: str,
    plot: _Plot,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[object]]],
    marks: list[str],
) -> str:
    parts = _frame(title, y_title, plot.top, plot.step) + marks
    parts += _category_labels(categories, plot.centres)
    parts += _legend([name for name, _ in series])
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[object]]],
    y_title: str = "",
) -> str:
    """Grouped bars: one group per category, one bar per series."""
    plot = _Plot.of(categories, series)
    bar = plot.slot * 0.8 / max(len(series), 1)
    marks = []
    for s, (_, values) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        for c, value in enumerate(_numbers(values)):
            if value is None or value <= 0:
                continue
            x = LEFT + c * plot.slot + plot.slot * 0.1 + s * bar
            marks.append(
                f'<rect x="{x:.1f}" y="{plot.y(value):.1f}" width="{bar:.1f}" '
                f'height="{TOP + plot.height - plot.y(value):.1f}" fill="{colour}"/>'
            )
    return _chart(title, y_title, plot, categories, series, marks)


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[object]]],
    y_title: str = "",
) -> str:
    """One line per series over the categories (months)."""
    plot = _Plot.of(categories, series)
    marks = []
    for s, (_, values) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        points = [
            f"{x:.1f},{plot.y(v):.1f}"
            for x, v in zip(plot.centres, _numbers(values), strict=True)
            if v is not None
        ]
        if points:
            marks.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                'stroke-width="2"/>'
            )
    return _chart(title, y_title, plot, categories, series, marks)
