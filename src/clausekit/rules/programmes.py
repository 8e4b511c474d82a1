"""Programmes (DOMAIN.md §1): the contracting authorities followed together, ERBM, CSNE...

Apart from ``rules/settings.py`` (which holds their names) because it needs pandas, which
the commands that only read the settings should not load."""

from __future__ import annotations

import re

import pandas as pd

from clausekit.parse import normalise_text
from clausekit.rules.settings import Settings

OTHER_PROGRAMME = "Autres"  # the programme of a contracting authority that is in none


def programmes(donneurs: pd.Series, settings: Settings) -> pd.Series:
    """Programme of each contracting authority (settings.programmes), else « Autres »."""
    norm = normalise_text(donneurs.astype("string")).fillna("")
    out = pd.Series(OTHER_PROGRAMME, index=donneurs.index, dtype="string")
    for name, members in reversed(settings.programmes):
        for member in members:
            needle = normalise_text(pd.Series([member])).iloc[0]
            hit = norm.str.contains(rf"\b{re.escape(needle)}\b", regex=True)
            out = out.mask(hit, name)
    return out
