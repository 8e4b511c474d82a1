"""The monthly routine: turn a config file (clausekit.toml) and the command-line options into
one run plan: which files, which territories, which period, where to write, what to record.

``consolidate`` with no paths consolidates every configured territory. Successive exports of a
territory are all read: the merge keeps each line from the newest export that holds it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from clausekit.errors import UsageError
from clausekit.options import InputOptions, RunOptions
from clausekit.routine.config import Config, Territory, find_config, parse_period
from clausekit.routine.configfile import load_config

DEFAULT_OUTPUT = Path("rapport")


@dataclass(frozen=True)
class Plan:
    paths: list[Path]
    out_dir: Path
    options: RunOptions
    inputs: InputOptions
    config: Config


def load(config_path: Path | None, cwd: Path, env: Mapping[str, str]) -> Config:
    """The config in force: --config, $CLAUSEKIT_CONFIG, ./clausekit.toml, or the defaults."""
    return load_config(find_config(config_path, cwd, env))


def history_base(base: Path | None, config: Config | None) -> Path:
    """The history database a ``history`` command reads: ``--base`` when given (it must
    exist), else ``[historique] base`` of the config in force."""
    if base is not None:
        if not base.is_file():
            raise UsageError(f"Base d'historique introuvable : {base}.")
        return base
    if config is None or config.history is None:
        raise UsageError(
            "Aucune base d'historique : indiquez --base ou renseignez [historique] base dans "
            "clausekit.toml."
        )
    return config.history


def plan(
    paths: list[Path],
    *,
    config: Config,
    output: Path | None = None,
    period: str | None = None,
    today: date | None = None,
    env: Mapping[str, str] | None = None,
    **options: object,
) -> Plan:
    """The run to do. ``options`` are RunOptions fields given on the command line."""
    env = os.environ if env is None else env
    today = today or date.today()
    given = list(paths)
    settings = replace(config.settings_for(today), non_work_contracts=config.non_work_contracts)
    if period:
        start, end = parse_period(period)
        settings = replace(settings, period_start=start, period_end=end)
    if not paths:
        if not config.territories:
            raise UsageError(
                "Aucun chemin donné et aucun territoire configuré : indiquez les exports à "
                "consolider (ex. clausekit consolidate exports/) ou créez un clausekit.toml "
                "avec clausekit init."
            )
        paths = list(dict.fromkeys(f for group in config.inputs().values() for f in group))
        if not paths:
            raise UsageError(
                "Aucun export trouvé dans les dossiers des territoires configurés : "
                + ", ".join(t.name for t in config.territories)
                + "."
            )
    run = RunOptions(
        settings=settings,
        secret=config.secret(env),
        history=config.history,
    )
    run = replace(run, **options)  # type: ignore[arg-type]
    inputs = InputOptions(
        territory_of=config.territory_of if config.territories else None,
        column_maps={t.name: config.columns_for(t.name) for t in config.territories if t.columns},
        columns=config.columns,
        declared=tuple(t.name for t in config.territories if not given or _covers(t, given)),
    )
    out_dir = output or config.output or DEFAULT_OUTPUT
    return Plan(paths, out_dir, run, inputs, config)


def _covers(territory: Territory, paths: list[Path]) -> bool:
    """True when the paths given on the command line take in this territory: one of them is
    in its folder or matches its patterns, or its folder lies inside one of them."""
    if any(territory.owns(p) for p in paths):
        return True
    folder = territory.folder
    return folder is not None and any(
        folder.absolute().is_relative_to(Path(p).absolute()) for p in paths
    )
