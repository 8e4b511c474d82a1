"""Deterministic synthetic ABC Clauses exports, with the figures a correct report must show.

:func:`write_samples` writes three territory folders, each in a different realistic layout:

* ``Lens-Liévin/abc_clauses_lens_lievin_2025.xlsx``: sheets « Participants », « Contrats »
  (one row per contract × month) and « Opérations », each under a three-row title block
  (header on row 4); real date cells; one multi-valued « Statut à l'entrée » cell.
* ``Hénin-Carvin/export_henin_carvin_2025.xlsx``: one denormalised sheet « Extraction »
  (header on row 1), one row per contract × month, person and operation columns repeated on
  every row, *including* « Heures prévues » (count it once per operation, never per row);
  Oui/Non columns per public; « Période » is a date cell (first day of the month).
* ``Artois/artois_extraction.xlsx``: « Bénéficiaires » (title row 1, header row 2, birth dates
  as ``dd/mm/yyyy`` text, « Critères » multi-valued), « Heures » (dates as text, months as
  ``janv.-25`` labels, hours as French number text such as ``1 234,5`` with a no-break space,
  then one « TOTAL » row to skip), « Marchés », and a hidden « Listes » sheet.

Everything is synthetic and fully determined by ``(rows, seed)``: the workbooks are
byte-identical from one run to the next (fixed document properties and zip timestamps).

One job a module: :mod:`~clausekit.samples.model` (the people, records, operations, contracts
and hour lines), :mod:`~clausekit.samples.vocabulary` (the invented words),
:mod:`~clausekit.samples.population` (drawing a model, with its deliberate traps),
:mod:`~clausekit.samples.truth` (the expected figures and their counting rules, computed from
the model, never by reading the files back), :mod:`~clausekit.samples.workbook` (deterministic
xlsx writing) and one writer per territory's layout (:mod:`~clausekit.samples.lens`,
:mod:`~clausekit.samples.henin`, :mod:`~clausekit.samples.artois`). Nothing here imports the
rest of clausekit.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from clausekit.samples import artois, henin, lens
from clausekit.samples.model import (
    ARTOIS,
    HENIN,
    LENS,
    PMSMP,
    TERRITORIES,
    Contract,
    Model,
    Operation,
    Participant,
    Person,
)
from clausekit.samples.population import build_model
from clausekit.samples.truth import Truth, compute_truth
from clausekit.samples.workbook import month_lines

__all__ = [
    "ARTOIS",
    "HENIN",
    "LENS",
    "PMSMP",
    "TERRITORIES",
    "Contract",
    "Model",
    "Operation",
    "Participant",
    "Person",
    "SampleSet",
    "Truth",
    "build_model",
    "compute_truth",
    "write_samples",
]


@dataclass
class SampleSet:
    """The export files written (xlsx only; ``ATTENDU.json`` sits next to them) and the truth."""

    files: list[Path]
    truth: Truth


def write_samples(out_dir: Path, *, rows: int = 600, seed: int = 2025) -> SampleSet:
    """Write the three territory exports and ``ATTENDU.json`` under ``out_dir``.

    ``rows`` is the approximate total number of contract × month hour lines (40 % Lens-Liévin,
    35 % Hénin-Carvin, 25 % Artois; the edge cases add a few dozen). Same ``rows`` and
    ``seed``: byte-identical files. Returns the xlsx paths and the :class:`Truth`.
    """
    out_dir = Path(out_dir)
    model = build_model(rows, seed)
    truth = compute_truth(model)
    lines = month_lines(model)
    rng = random.Random(f"{seed}-labels")  # label spellings, independent of the model
    files = [
        out_dir / LENS / lens.FILE_NAME,
        out_dir / HENIN / henin.FILE_NAME,
        out_dir / ARTOIS / artois.FILE_NAME,
    ]
    lens.write_lens(model, lines, files[0], rng)
    henin.write_henin(model, lines, files[1])
    artois.write_artois(model, lines, files[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ATTENDU.json").write_text(
        json.dumps(asdict(truth), ensure_ascii=False, sort_keys=True, indent=2) + "\n",
        encoding="utf-8",
    )
    return SampleSet(files=files, truth=truth)
