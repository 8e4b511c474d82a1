"""The vocabulary of column headers: the loose form under which a header written in an export
is compared with the aliases of schemas/ (:func:`header_key`), and the label form without its
trailing unit (:func:`normalise_label`)."""

from __future__ import annotations

import re
from functools import lru_cache

from clausekit.parse import normalise_value

_RE_TRAILING_UNIT = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*$")


@lru_cache(maxsize=4096)
def normalise_label(text: str) -> str:
    """Normalise one header label like :func:`~clausekit.parse.normalise_text`, dropping a
    trailing unit.

    A trailing parenthesised (or bracketed) group without digits is dropped first, e.g.
    ``"Heures réalisées (h)"``, ``"(en heures)"``, ``"(€)"``, ``"(mois)"``, ``"(Oui/Non)"``;
    groups holding digits (``"Heures (01/2025)"``) are kept since they carry meaning. If
    nothing would be left, the label is kept whole.
    """
    match = _RE_TRAILING_UNIT.search(text)
    if match is not None and not any(ch.isdigit() for ch in match.group(1)):
        stripped = normalise_value(text[: match.start()])
        if stripped:
            return stripped
    return normalise_value(text)


_RE_PLURAL_MARK = re.compile(r"\((?:e?s|x)\)", re.I)
# words that name an identifier: « N° », « Numéro », « Réf. », « Code », « ID »...
_ID_WORDS = frozenset({"n", "no", "num", "numero", "nr", "ref", "reference", "code", "id"})
_ID_WORDS_LONG = frozenset({"identifiant"})
# articles and prepositions carry no meaning in a header
_SMALL_WORDS = frozenset({"du", "de", "des", "d", "l", "la", "le", "les", "au", "aux", "a", "en"})
_COUNT_WORDS = frozenset({"nombre", "nb", "total"})  # before « heures »: the hours themselves
ID_KEY = "n"  # the word every identifier word becomes


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """The loose form under which headers are compared with the aliases of schemas/.

    On top of :func:`normalise_label`: plural marks (« Public(s) ») and final « s » dropped,
    articles and prepositions (du, de, des, d', l', la, le, au…) dropped, every identifier word
    (N°, No, Numéro, Num, Réf., Référence, Code, Identifiant, ID) read as one, « Nombre / Nb /
    Total » before « heures » dropped, and « Date (de) début X » read as « Date de début ».
    ``header_key("N° du participant") == header_key("Numéro participant")``.
    """
    words = normalise_label(_RE_PLURAL_MARK.sub("", text)).split()
    kept = [w for w in words if w not in _SMALL_WORDS] or words
    out: list[str] = []
    for i, word in enumerate(kept):
        if word in _ID_WORDS or (word in _ID_WORDS_LONG and len(kept) > 1):
            word = ID_KEY
        elif word in _COUNT_WORDS and i + 1 < len(kept) and kept[i + 1].startswith("heure"):
            continue
        out.append(_singular(word))
    if out[:2] in (["date", "debut"], ["date", "fin"]):
        out = out[:2]
    return " ".join(out)
