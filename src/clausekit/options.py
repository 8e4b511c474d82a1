"""What a run is asked to do: where its inputs come from and what it produces.

Kept apart from :mod:`clausekit.consolidate` (and free of pandas) so that the command line can
plan a run, and start reading the files, before the heavy modules are loaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from clausekit.rules.settings import Settings

# The cores a run uses at most: two readers at once, then two threads in the merge and in the
# indicators (more readers would compete for memory with the main process on a small PC).
CORES = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class InputOptions:
    """Where the inputs come from, when a config file says more than the paths do."""

    territory_of: Callable[[Path], str | None] | None = None  # territory of a file
    column_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # per territory
    ignored: tuple[tuple[Path, str], ...] = ()  # files set aside (older exports), with why
    on_file: Callable[[str], None] | None = None  # progress: called once per file read
    columns: Mapping[str, str] = field(default_factory=dict)  # every territory ([colonnes])
    declared: tuple[str, ...] = ()  # territories of the config this run covers: each keeps
    # its row in the report, marked « aucun export exploitable » when none of its data came

    def columns_for(self, territory: str) -> Mapping[str, str]:
        """The headers mapped for a territory: its own mapping, else the shared one."""
        return self.column_maps.get(territory, self.columns)


@dataclass(frozen=True)
class RunOptions:
    """What a consolidation run produces and how (the CLI's options, the config's settings)."""

    settings: Settings = field(default_factory=Settings)
    formats: tuple[str, ...] = ("xlsx", "json")
    strict: bool = False  # any rejected row is fatal: nothing written
    mask_below: int = 0  # mask counts of people 1..K-1 (0: no masking)
    secret: bytes | None = None  # pseudonymisation key (None: random, for this run only)
    history: Path | None = None  # SQLite file recording each period's aggregates
