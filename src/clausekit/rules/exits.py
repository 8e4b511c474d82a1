"""Contract families and dynamic exits ("sorties dynamiques"), driven by editable rules tables.

Two TOML files hold the rules, so that users can adapt them without touching Python:

* ``schemas/contract_types.toml`` recognises a contract *family* (CDI, CDD, INTERIM, ...) and an
  optional employment *subsidy* (CUI_CIE, EMPLOI_FRANC) in the free text of "Type de contrat" /
  "Situation à la sortie";
* ``schemas/exits.toml`` is the Département's definition (DOMAIN §6) as an ordered table of rules
  ``family (+ subsidy condition) (+ minimum duration) -> category``.

Categories, best first: ``durable``, ``transition``, ``positive``, ``other``; a row without any
information is ``unknown``.

Recognition (see the comments of ``contract_types.toml``): the text is normalised with
:func:`clausekit.parse.normalise_text`; the first subsidy (file order) with a matching pattern
is the subsidy; the first family (file order) with a matching pattern is the family, so that
"Emploi franc CDD" is a CDD with the EMPLOI_FRANC subsidy; when only a subsidy was named
("Emploi franc", "PEC") the family is the subsidy's ``family``; unrecognised text is ``AUTRE``;
empty text (or punctuation only) is NA.

Durations, in months, written in the text or between two dates: :mod:`clausekit.rules.durations`.

All functions work on the distinct values of their inputs (the texts repeat a lot) or with
numpy over whole columns: no Python loop over the rows.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from clausekit.errors import UsageError
from clausekit.parse import normalise_text, strip_accents
from clausekit.rules.durations import (
    DAYS_PER_MONTH,
    DURATION_UNITS,
    duration_from_dates,
    text_duration,
)
from clausekit.rules.schemas import schemas_dir
from clausekit.rules.tomlfile import did_you_mean, read_toml

__all__ = [
    "CATEGORIES",
    "DAYS_PER_MONTH",
    "DURATION_UNITS",
    "UNRECOGNISED",
    "ContractFamily",
    "ContractRules",
    "ExitRule",
    "ExitRules",
    "Subsidy",
    "best_outcome",
    "classify_exits",
    "contract_family",
    "duration_from_dates",
    "exit_summary",
    "load_contract_rules",
    "load_exit_rules",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Exit categories, best first (the order of :func:`best_outcome`).
CATEGORIES: tuple[str, ...] = ("durable", "transition", "positive", "other", "unknown")
#: Categories a rule of ``exits.toml`` may give ("unknown" is reserved for empty rows).
RULE_CATEGORIES: tuple[str, ...] = CATEGORIES[:4]
#: Family code of a non-empty text that no pattern recognises.
UNRECOGNISED = "AUTRE"
_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SUBSIDY_MODES = ("none", "any")


# ---------------------------------------------------------------------------------------------
# Rules tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractFamily:
    code: str
    label: str
    work_hours: bool
    patterns: tuple[str, ...]
    regex: re.Pattern[str] | None  # None when the family has no pattern of its own


@dataclass(frozen=True)
class Subsidy:
    code: str
    label: str
    family: str  # family used when the text names the subsidy only
    patterns: tuple[str, ...]
    regex: re.Pattern[str]


@dataclass(frozen=True)
class ContractRules:
    """The content of ``contract_types.toml``, in file order."""

    families: tuple[ContractFamily, ...]
    subsidies: tuple[Subsidy, ...]
    source: str

    @property
    def family_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.families)

    @property
    def subsidy_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.subsidies)

    @property
    def non_work_families(self) -> frozenset[str]:
        """Families whose hours are not work hours (``work_hours = false``: stages...)."""
        return frozenset(f.code for f in self.families if not f.work_hours)

    def label(self, code: str) -> str:
        """French label of a family or subsidy code ("Non reconnu" for ``AUTRE``)."""
        labels = {s.code: s.label for s in self.subsidies}
        labels.update((f.code, f.label) for f in self.families)
        if code in labels:
            return labels[code]
        if code == UNRECOGNISED:
            return "Non reconnu"
        raise KeyError(code)


@dataclass(frozen=True)
class ExitRule:
    number: int  # 1-based position in the file, for messages
    families: tuple[str, ...]
    subsidy: str | tuple[str, ...] | None  # None: not looked at; "none"; "any"; or codes
    min_months: float | None
    category: str
    note: str = ""


@dataclass(frozen=True)
class ExitRules:
    """The content of ``exits.toml`` plus the contract rules its families refer to."""

    rules: tuple[ExitRule, ...]
    labels: dict[str, str]
    recognised: str  # category of a recognised family that no rule covers
    unrecognised: str  # category of an unrecognised text (family AUTRE)
    contracts: ContractRules
    source: str


def _fail(path: Path | str, where: str, message: str) -> UsageError:
    prefix = f"Fichier de règles {path}"
    return UsageError(f"{prefix}, {where} : {message}" if where else f"{prefix} : {message}")


def _read_toml(path: Path) -> dict[str, Any]:
    data, problems = read_toml(path, "Fichier de règles")
    if data is None:
        raise UsageError(" ".join(problems))
    return data


def _check_keys(path: Path, where: str, raw: Any, allowed: Iterable[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(path, where, "une table TOML est attendue ([...]).")
    allowed = tuple(allowed)
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise _fail(
            path,
            where,
            f"champ inconnu « {unknown[0]} ».{did_you_mean(unknown[0], allowed)} "
            f"Champs admis : {', '.join(allowed)}.",
        )
    return raw


def _check_code(path: Path, where: str, code: str) -> None:
    if not _CODE.match(code):
        raise _fail(
            path, where, "un code s'écrit en majuscules sans accents ni espaces (ex. CDD_AIDE)."
        )
    if code == UNRECOGNISED:
        raise _fail(path, where, f"le code « {UNRECOGNISED} » est réservé aux textes non reconnus.")


def _text_field(path: Path, where: str, raw: dict[str, Any], key: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise _fail(path, where, f"« {key} » doit être un texte entre guillemets.")
    return value


def _pattern_text(pattern: str) -> str:
    """A user pattern adapted to normalised text: accents dropped, apostrophes -> spaces."""
    return strip_accents(pattern).replace("'", " ").replace("’", " ")


def _compile(path: Path, where: str, raw: dict[str, Any]) -> tuple[tuple[str, ...], Any]:
    patterns = raw.get("patterns", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise _fail(path, where, "« patterns » doit être une liste de textes : ['...', '...'].")
    parts = []
    for number, pattern in enumerate(patterns, start=1):
        if not pattern.strip():
            raise _fail(path, where, f"le motif n° {number} est vide.")
        text = _pattern_text(pattern)
        try:
            re.compile(text)
        except re.error as exc:
            raise _fail(
                path,
                where,
                f"le motif n° {number} « {pattern} » n'est pas une expression régulière "
                f"valide ({exc}).",
            ) from None
        parts.append(f"(?:{text})")
    regex = re.compile("|".join(parts), re.IGNORECASE) if parts else None
    return tuple(patterns), regex


def _load_contract_rules(path: Path) -> ContractRules:
    data = _check_keys(path, "", _read_toml(path), ("families", "subsidies"))
    raw_families = data.get("families")
    if not isinstance(raw_families, dict) or not raw_families:
        raise _fail(path, "", "aucune famille [families.CODE] n'est définie.")
    families = []
    for code, raw in raw_families.items():
        where = f"famille [families.{code}]"
        _check_code(path, where, code)
        raw = _check_keys(path, where, raw, ("label", "work_hours", "patterns"))
        work_hours = raw.get("work_hours", True)
        if not isinstance(work_hours, bool):
            raise _fail(path, where, "« work_hours » doit valoir true ou false.")
        patterns, regex = _compile(path, where, raw)
        label = _text_field(path, where, raw, "label", code)
        families.append(ContractFamily(code, label, work_hours, patterns, regex))
    codes = {f.code for f in families}

    raw_subsidies = data.get("subsidies", {})
    if not isinstance(raw_subsidies, dict):
        raise _fail(path, "", "« subsidies » doit être une table [subsidies.CODE].")
    subsidies = []
    for code, raw in raw_subsidies.items():
        where = f"aide [subsidies.{code}]"
        _check_code(path, where, code)
        raw = _check_keys(path, where, raw, ("label", "family", "patterns"))
        family = raw.get("family")
        if family not in codes:
            raise _fail(
                path,
                where,
                f"« family » doit être le code d'une famille du fichier ({', '.join(codes)}), "
                f"trouvé « {family} ».",
            )
        patterns, regex = _compile(path, where, raw)
        if regex is None:
            raise _fail(path, where, "au moins un motif est nécessaire dans « patterns ».")
        label = _text_field(path, where, raw, "label", code)
        subsidies.append(Subsidy(code, label, str(family), patterns, regex))
    return ContractRules(tuple(families), tuple(subsidies), str(path))


@functools.cache
def _default_contract_rules() -> ContractRules:
    return _load_contract_rules(schemas_dir() / "contract_types.toml")


def load_contract_rules(path: Path | None = None) -> ContractRules:
    """Read and check ``contract_types.toml`` (default: the bundled one, read once).

    Raises :class:`~clausekit.errors.UsageError` with a French message naming the file and the
    family or subsidy at fault (unknown field, bad regular expression, unknown family...).
    """
    if path is None:
        return _default_contract_rules()
    return _load_contract_rules(Path(path))


def _rule(path: Path, number: int, raw: Any, contracts: ContractRules) -> ExitRule:
    where = f"règle n° {number}"
    raw = _check_keys(path, where, raw, ("family", "subsidy", "min_months", "category", "note"))
    family = _rule_families(path, where, raw.get("family"), contracts)
    where = f"règle n° {number} (family = {', '.join(family)})"
    subsidy = _rule_subsidy(path, where, raw.get("subsidy"), contracts)
    min_months = raw.get("min_months")
    if min_months is not None and (
        isinstance(min_months, bool)
        or not isinstance(min_months, int | float)
        or not 0 <= min_months < 1000
    ):
        raise _fail(path, where, f"« min_months » doit être un nombre de mois ≥ 0 ({min_months}).")
    category = raw.get("category")
    if category not in RULE_CATEGORIES:
        raise _fail(
            path,
            where,
            f"catégorie « {category} » inconnue (valeurs admises : {', '.join(RULE_CATEGORIES)}).",
        )
    return ExitRule(
        number=number,
        families=tuple(family),
        subsidy=subsidy,
        min_months=None if min_months is None else float(min_months),
        category=str(category),
        note=_text_field(path, where, raw, "note", ""),
    )


def _rule_families(path: Path, where: str, family: Any, contracts: ContractRules) -> list[str]:
    """A rule's ``family``: one code or a list of codes, each a family of contract_types.toml."""
    if isinstance(family, str):
        family = [family]
    if not isinstance(family, list) or not family or not all(isinstance(f, str) for f in family):
        raise _fail(path, where, "« family » doit être un code de famille ou une liste de codes.")
    where = f"{where} (family = {', '.join(family)})"
    known = (*contracts.family_codes, UNRECOGNISED)
    for code in family:
        if code not in known:
            raise _fail(
                path,
                where,
                f"famille « {code} » inconnue ; familles de {contracts.source} : "
                f"{', '.join(known)}.",
            )
    return family


def _rule_subsidy(
    path: Path, where: str, raw_subsidy: Any, contracts: ContractRules
) -> str | tuple[str, ...] | None:
    """A rule's ``subsidy``: "none", "any", or subsidy codes of contract_types.toml."""
    if raw_subsidy is None:
        return None
    if isinstance(raw_subsidy, str) and raw_subsidy in _SUBSIDY_MODES:
        return raw_subsidy
    codes = [raw_subsidy] if isinstance(raw_subsidy, str) else raw_subsidy
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise _fail(
            path, where, '« subsidy » doit valoir "none", "any" ou une liste de codes d\'aides.'
        )
    for code in codes:
        if code not in contracts.subsidy_codes:
            raise _fail(
                path,
                where,
                f"aide « {code} » inconnue ; valeurs admises : none, any, "
                f"{', '.join(contracts.subsidy_codes)}.",
            )
    return tuple(codes)


def _load_exit_rules(path: Path, contracts: ContractRules) -> ExitRules:
    data = _check_keys(path, "", _read_toml(path), ("labels", "fallback", "rules"))
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise _fail(path, "", "les règles s'écrivent [[rules]] (double crochet).")
    rules = tuple(_rule(path, n, raw, contracts) for n, raw in enumerate(raw_rules, start=1))

    raw_labels = _check_keys(path, "table [labels]", data.get("labels", {}), CATEGORIES)
    labels = {c: c for c in CATEGORIES}
    for key in raw_labels:
        labels[key] = _text_field(path, "table [labels]", raw_labels, key, key)

    fallback = _check_keys(
        path, "table [fallback]", data.get("fallback", {}), ("recognised", "unrecognised")
    )
    chosen = {}
    for key in ("recognised", "unrecognised"):
        value = fallback.get(key, "other")
        if value not in RULE_CATEGORIES:
            raise _fail(
                path,
                "table [fallback]",
                f"« {key} » : catégorie « {value} » inconnue (valeurs admises : "
                f"{', '.join(RULE_CATEGORIES)}).",
            )
        chosen[key] = str(value)
    return ExitRules(
        rules=rules,
        labels=labels,
        recognised=chosen["recognised"],
        unrecognised=chosen["unrecognised"],
        contracts=contracts,
        source=str(path),
    )


@functools.cache
def _default_exit_rules() -> ExitRules:
    return _load_exit_rules(schemas_dir() / "exits.toml", _default_contract_rules())


def load_exit_rules(path: Path | None = None, contracts: ContractRules | None = None) -> ExitRules:
    """Read and check ``exits.toml`` (default: the bundled one, read once).

    ``contracts`` are the contract rules whose family and subsidy codes the rules use (default:
    the bundled ``contract_types.toml``). Raises :class:`~clausekit.errors.UsageError` with a
    French message naming the file and the rule at fault.
    """
    if path is None and contracts is None:
        return _default_exit_rules()
    return _load_exit_rules(
        Path(path) if path is not None else schemas_dir() / "exits.toml",
        contracts if contracts is not None else load_contract_rules(),
    )


# ---------------------------------------------------------------------------------------------
# Contract families
# ---------------------------------------------------------------------------------------------


def _recognise(text: str, rules: ContractRules) -> tuple[str | None, str | None]:
    """(family, subsidy) of one normalised text."""
    if not text:
        return None, None
    subsidy = next((sub for sub in rules.subsidies if sub.regex.search(text)), None)
    for family in rules.families:
        if family.regex is not None and family.regex.search(text):
            return family.code, None if subsidy is None else subsidy.code
    if subsidy is not None:
        return subsidy.family, subsidy.code
    return UNRECOGNISED, None


def _as_text(texts: pd.Series) -> pd.Series:
    if not isinstance(texts, pd.Series):
        texts = pd.Series(texts, dtype=object)
    return texts.astype("string")


def contract_family(texts: pd.Series, rules: ContractRules | None = None) -> pd.DataFrame:
    """Recognise contract family, subsidy and written duration in free text.

    Returns a frame on the index of ``texts`` with columns ``family`` (code, ``"AUTRE"`` when
    unrecognised, NA when empty), ``subsidy`` (code or NA) and ``duration_months`` (float,
    NaN when the text gives no duration). Work is done once per distinct value.
    """
    rules = rules if rules is not None else load_contract_rules()
    raw = _as_text(texts)
    norm = normalise_text(raw)

    codes, uniques = pd.factorize(norm, use_na_sentinel=True)
    found = [_recognise(str(u), rules) for u in uniques]
    fam_u = np.array([f for f, _ in found] + [None], dtype=object)
    sub_u = np.array([s for _, s in found] + [None], dtype=object)
    family = pd.array(fam_u[codes], dtype="string")  # code -1 (missing) takes the last: None
    subsidy = pd.array(sub_u[codes], dtype="string")

    raw_codes, raw_uniques = pd.factorize(raw, use_na_sentinel=True)
    dur_u = np.array([text_duration(str(u)) for u in raw_uniques] + [np.nan], dtype=np.float64)
    duration = dur_u[raw_codes]

    return pd.DataFrame(
        {"family": family, "subsidy": subsidy, "duration_months": duration},
        index=raw.index,
    )


# ---------------------------------------------------------------------------------------------
# Classification and counting
# ---------------------------------------------------------------------------------------------

_EPSILON = 1e-9  # "at least 6 months" must accept 6.0 computed with rounding noise


def classify_exits(frame: pd.DataFrame, rules: ExitRules | None = None) -> pd.Series:
    """Category of each exit row: durable, transition, positive, other or unknown.

    ``frame`` has a ``situation`` column (free text) and optionally ``duration_months``
    (float, e.g. from :func:`duration_from_dates`), used only where the text gives no
    duration. The rules of ``exits.toml`` are tried in order; the first that fits wins. Rows
    no rule covers get the ``[fallback]`` category; empty situations are ``unknown``.
    Returns a ``string`` Series named ``category`` on the index of ``frame``.
    """
    rules = rules if rules is not None else load_exit_rules()
    info = contract_family(frame["situation"], rules.contracts)
    duration = info["duration_months"].to_numpy(dtype=np.float64, copy=True)
    if "duration_months" in frame:
        given = pd.to_numeric(frame["duration_months"], errors="coerce")
        given_arr = given.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
        duration = np.where(np.isnan(duration), given_arr, duration)

    family = info["family"].fillna("").to_numpy(dtype=object)
    subsidy = info["subsidy"].fillna("").to_numpy(dtype=object)
    out = np.full(len(frame), "", dtype=object)
    todo = family != ""
    out[~todo] = "unknown"
    for rule in rules.rules:
        hit = todo & np.isin(family, rule.families)
        if rule.subsidy == "none":
            hit &= subsidy == ""
        elif rule.subsidy == "any":
            hit &= subsidy != ""
        elif isinstance(rule.subsidy, tuple):
            hit &= np.isin(subsidy, rule.subsidy)
        if rule.min_months is not None:
            with np.errstate(invalid="ignore"):
                hit &= duration >= rule.min_months - _EPSILON
        out[hit] = rule.category
        todo &= ~hit
    unrecognised = family == UNRECOGNISED
    out[todo & unrecognised] = rules.unrecognised
    out[todo & ~unrecognised] = rules.recognised
    return pd.Series(out, index=frame.index, name="category", dtype="string")


_RANK = {category: rank for rank, category in enumerate(CATEGORIES)}


def best_outcome(person_keys: pd.Series, categories: pd.Series) -> pd.Series:
    """Best category per person (durable > transition > positive > other > unknown).

    ``person_keys`` and ``categories`` are aligned by position. A missing category counts as
    ``unknown``; rows without a person key are ignored. Returns a ``string`` Series named
    ``category`` indexed by person key (sorted).
    """
    keys = pd.Series(person_keys).reset_index(drop=True)
    cats = pd.Series(categories).reset_index(drop=True).astype("string").fillna("unknown")
    if len(keys) != len(cats):
        raise ValueError("person_keys et categories doivent avoir la même longueur")
    rank = cats.map(_RANK)
    if rank.isna().any():
        bad = sorted(set(cats[rank.isna()]))
        raise ValueError(f"catégories inconnues : {bad} (admises : {CATEGORIES})")
    best = rank.astype(np.int64).groupby(keys, sort=True, dropna=True).min()
    values = np.asarray(CATEGORIES, dtype=object)[best.to_numpy(dtype=np.int64)]
    index = best.index.rename(getattr(person_keys, "name", None) or "person")
    return pd.Series(values, index=index, name="category", dtype="string")


def exit_summary(best: pd.Series, worked_people: pd.Index) -> dict[str, int | float | None]:
    """Count the worked people by best exit category, with rates over the people who worked.

    Only people of ``worked_people`` count; a worked person without an exit record is
    ``unknown``. Keys: ``durable``, ``transition``, ``positive``, ``other``, ``unknown``
    (integers) and ``durable_rate``, ``transition_rate``, ``positive_rate``, ``dynamic_rate``
    (durable + transition + positive), fractions of ``len(worked_people)`` (distinct, non-missing
    people), None when nobody worked.
    """
    people = pd.Index(worked_people).dropna().unique()
    cats = best.reindex(people).astype("string").fillna("unknown")
    counts = cats.value_counts()
    summary: dict[str, int | float | None] = {c: int(counts.get(c, 0)) for c in CATEGORIES}
    total = len(people)

    def rate(count: int) -> float | None:
        return count / total if total else None

    durable, transition, positive = (int(counts.get(c, 0)) for c in CATEGORIES[:3])
    summary["durable_rate"] = rate(durable)
    summary["transition_rate"] = rate(transition)
    summary["positive_rate"] = rate(positive)
    summary["dynamic_rate"] = rate(durable + transition + positive)
    return summary
