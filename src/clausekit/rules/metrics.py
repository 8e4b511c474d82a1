"""The report's metrics: one table of the fields of a statistics row (the totals and each row
of a breakdown), read by every stage that names them.

From :data:`METRICS` come the indicators' keys and their « dont » lines
(``pipeline/indicators.py``), the views' labels and number formats and page 1's grid
(``output/views.py``), the people counts that masking protects (``output/masking.py``), the
history's columns and headings (``routine/history.py``, ``clausekit history``).
``schemas/rapport.schema.json`` declares the same fields (``$defs.stats``): the tests hold the
two together. Adding a « dont » line is one row here and its field in the JSON schema (and a
migration in ``routine/history.py`` when it is kept in the history).
"""

from __future__ import annotations

from dataclasses import dataclass

# number format of each kind of value (Excel format codes, shown in the user's locale)
KIND_FORMATS = {"hours": "#,##0.00", "rate": "0.0%", "decimal": "#,##0.00", "count": "0"}


@dataclass(frozen=True)
class Metric:
    """One field of a statistics row."""

    key: str  # the report's field (JSON key)
    label: str  # French column heading, and row label on page 1
    kind: str  # "hours" | "rate" | "decimal" | "count" (see KIND_FORMATS)
    people: bool = False  # counts people: masked below K in a report that leaves the team
    # a « dont » line: the public category (schemas/publics.toml) counted among ``parent``
    public: str | None = None
    parent: str | None = None
    share: str | None = None  # page 1 also shows its share of ``parent``, under this label
    summary: bool = True  # a row of page 1's grid
    history: int = 0  # place of its column in the history store (0: not kept)
    heading: str | None = None  # heading in narrow tables (history, bilan), when shorter
    zero_unstated: bool = False  # 0 means nobody stated it (a forecast), shown « n.r. »

    def __post_init__(self) -> None:
        if self.kind not in KIND_FORMATS:
            raise ValueError(f"{self.key}: unknown kind {self.kind!r}")
        if (self.public is not None or self.share is not None) and self.parent is None:
            raise ValueError(f"{self.key}: a « dont » line or a share needs its parent")

    @property
    def number_format(self) -> str:
        return KIND_FORMATS[self.kind]

    @property
    def short(self) -> str:
        return self.heading or self.label


METRICS: tuple[Metric, ...] = (
    Metric(
        "hours_forecast",
        "Heures prévisionnelles",
        "hours",
        history=2,
        heading="Heures prévues",
        zero_unstated=True,
    ),
    Metric("hours_realised", "Heures réalisées", "hours", history=1),
    # realised on the operations that have a forecast: the numerator of the rate
    Metric(
        "hours_realised_with_forecast",
        "Heures réalisées (opérations avec heures prévues)",
        "hours",
        summary=False,
    ),
    # the line above / forecast
    Metric("realisation_rate", "Taux de réalisation", "rate", heading="Taux"),
    Metric("etp", "ETP", "decimal"),
    Metric("participants", "Participants", "count", people=True, history=3),
    Metric(
        "participants_brsa",
        "dont BRSA",
        "count",
        people=True,
        public="BRSA",
        parent="participants",
        share="part des BRSA",
        history=4,
    ),
    Metric(
        "participants_under_26",
        "dont moins de 26 ans",
        "count",
        people=True,
        public="JEUNE_M26",
        parent="participants",
        share="part des moins de 26 ans",
        history=5,
        heading="dont -26 ans",
    ),
    Metric(
        "participants_ase",
        "dont ASE",
        "count",
        people=True,
        public="ASE",
        parent="participants",
        share="part des ASE",
        history=6,
    ),
    Metric("contracts", "Contrats", "count"),
    Metric("operations", "Opérations", "count"),
    Metric("companies", "Entreprises", "count"),
)

BY_KEY = {m.key: m for m in METRICS}
KEYS = tuple(BY_KEY)
LABELS = {m.key: m.label for m in METRICS}
COUNTS = tuple(m.key for m in METRICS if m.kind == "count")  # whole numbers
HOURS = frozenset(m.key for m in METRICS if m.kind == "hours")
UNSTATED_WHEN_ZERO = frozenset(m.key for m in METRICS if m.zero_unstated)
PEOPLE = tuple(m.key for m in METRICS if m.people)
DONT = tuple(m for m in METRICS if m.public is not None)  # the « dont » lines
PUBLICS = tuple(m.public for m in DONT if m.public is not None)  # their categories
HISTORY = tuple(sorted((m for m in METRICS if m.history), key=lambda m: m.history))


def stated(key: str, value: object) -> object:
    """``value`` of metric ``key`` as a reader should take it: None where a 0 means that
    nobody stated it (a forecast of 0 hours is no forecast), else unchanged."""
    metric = BY_KEY.get(key)
    return None if metric is not None and metric.zero_unstated and value == 0 else value
