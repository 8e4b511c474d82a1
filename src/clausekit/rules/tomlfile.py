"""One strict way to read the TOML files a user edits (``clausekit.toml``, ``schemas/*.toml``):
syntax errors in French with their line, unknown keys with « Vouliez-vous dire… »."""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

_TOML_ESCAPE = (
    "séquence d'échappement invalide (une barre oblique inverse \\ entre guillemets "
    "doubles). Pour un chemin Windows, écrivez-le entre apostrophes ('C:\\Clauses\\exports') "
    'ou avec des barres obliques ("C:/Clauses/exports").'
)
_TOML_MESSAGES: tuple[tuple[str, str], ...] = (
    ("Unescaped '\\' in a string", _TOML_ESCAPE),
    ("Invalid hex value", _TOML_ESCAPE),
    ("Escaped character is not a Unicode scalar value", _TOML_ESCAPE),
    ("Invalid value", 'valeur invalide : un texte s\'écrit entre guillemets droits ("…").'),
    ("Invalid statement", "ligne incomprise : attendu clé = valeur, [section] ou # commentaire."),
    ("Expected '=' after a key in a key/value pair", "« = » attendu après la clé (clé = valeur)."),
    (
        "Invalid initial character for a key part",
        "début de clé invalide : une clé avec des espaces ou des accents s'écrit entre "
        'guillemets ("Nb h. effectives" = …).',
    ),
    ("Expected ']' at the end of a table declaration", "« ] » manquant à la fin de la section."),
    ("Expected ']]' at the end of an array declaration", "« ]] » manquant à la fin de la section."),
    ("Cannot declare", "section déclarée deux fois : regroupez ses clés sous une seule en-tête."),
    ("Cannot overwrite a value", "clé déjà définie : une clé n'apparaît qu'une fois par section."),
    ("Cannot mutate immutable namespace", "section déjà définie plus haut."),
    ("Cannot redefine namespace", "section déjà définie plus haut."),
    ("Duplicate inline table key", "clé en double entre accolades."),
    ("Unclosed array", "liste non fermée : « ] » manquant."),
    ("Unclosed inline table", "accolade non fermée : « } » manquant."),
    ("Unterminated string", "texte non fermé : le guillemet final manque."),
    ("Illegal character", "caractère interdit dans un texte (retour à la ligne, tabulation…)."),
    ("Invalid date or datetime", "date invalide."),
    ("Found invalid character", "caractère inattendu."),
    ("Expected", "caractère attendu manquant."),
)


def toml_problem(name: str, detail: str) -> str:
    """A TOML syntax error, in French, with its line and column."""
    where = re.search(r"\(at line (\d+), column (\d+)\)", detail)
    located = f", ligne {where.group(1)}, colonne {where.group(2)}" if where else ""
    if "(at end of document)" in detail:
        located = ", à la fin du fichier"
    what = next(
        (french for english, french in _TOML_MESSAGES if detail.startswith(english)),
        "syntaxe incorrecte : vérifiez les guillemets autour des textes, les crochets des "
        "sections et qu'une clé n'apparaît qu'une fois.",
    )
    return f"Syntaxe TOML invalide dans {name}{located} : {what}"


def did_you_mean(word: str, choices: tuple[str, ...] | list[str], shape: str = "{}") -> str:
    """`` Vouliez-vous dire « x » ?`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Vouliez-vous dire « {shape.format(close[0])} » ?" if close else ""


def read_toml(path: Path, kind: str = "Fichier") -> tuple[dict[str, Any] | None, list[str]]:
    """The content of a TOML file, or None and the French reason it cannot be read (missing,
    unreadable, not UTF-8 as older Notepads save it, bad syntax with its line). ``kind`` names
    the file in the messages (« Fichier de configuration », « Fichier de règles »)."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh), []
    except FileNotFoundError:
        return None, [f"{kind} introuvable : {path}."]
    except OSError as exc:
        return None, [f"{kind} illisible : {path} ({exc.strerror})."]
    except UnicodeDecodeError:
        return None, [
            f"{path} n'est pas encodé en UTF-8 : enregistrez-le en UTF-8 "
            "(Bloc-notes : Enregistrer sous > Encodage UTF-8)."
        ]
    except tomllib.TOMLDecodeError as exc:
        return None, [toml_problem(path.name, str(exc))]


def unknown_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str) -> list[str]:
    """One problem per key of ``table`` not in ``allowed``, with the closest allowed key."""
    return [
        f"« {where}.{key} » : clé inconnue.{did_you_mean(key, allowed)} Clés admises : "
        f"{', '.join(allowed)}."
        for key in table
        if key not in allowed
    ]
