"""Regenerate the generated parts of README.md from the code (CLI reference, issue catalogue,
exit codes, module layout). ``python -m clausekit.docs README.md --check`` fails when the README
is stale."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from clausekit.errors import CATALOGUE, EXIT_CATEGORIES, WARNINGS_THAT_MATTER


def cli_reference() -> str:
    import typer
    from typer.testing import CliRunner

    from clausekit.cli import app

    runner = CliRunner()
    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}
    parts = []
    names = ["", *sorted(typer.main.get_command(app).commands)]  # type: ignore[attr-defined]
    for name in names:
        args = [name, "--help"] if name else ["--help"]
        text = runner.invoke(app, args, env=env, prog_name="clausekit").output
        title = f"clausekit {name} --help" if name else "clausekit --help"
        parts.append(f"```\n$ {title}\n{text.rstrip()}\n```")
    return "\n\n".join(parts)


def catalogue() -> str:
    lines = ["| code | gravité | message | que faire |", "|---|---|---|---|"]
    for code, info in CATALOGUE.items():
        severity = "erreur" if info.severity == "error" else "avertissement"
        if code in WARNINGS_THAT_MATTER:
            severity += " (code 1)"
        message = re.sub(r"\{(\w+)\}", r"‹\1›", info.template).replace("|", "\\|")
        lines.append(f"| `{code}` | {severity} | {message} | {info.hint} |")
    return "\n".join(lines)


def exit_codes() -> str:
    lines = ["| code | signification |", "|---|---|"]
    for code, meaning in EXIT_CATEGORIES.items():
        lines.append(f"| {int(code)} | {meaning.replace('|', chr(92) + '|')} |")
    return "\n".join(lines)


# The rooms of the package, in the order data flows through them, and what each module does
# (in French: the README is read by the team). Every module of the package must be listed and
# every listed module must exist: `make docs-check` fails otherwise, so the table cannot drift.
LAYOUT: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "",
        "la façade et les verbes (seuls `cli`, `render`, `docs`, `clickfr` importent typer ou rich)",
        (
            (
                "cli",
                "la ligne de commande, adaptateur mince : un appel de la bibliothèque par commande",
            ),
            (
                "render",
                "le terminal : tableaux d'anomalies, résumé de fin, progression, sortie coupée",
            ),
            ("clickfr", "les messages de Click en français"),
            (
                "docs",
                "les parties générées de ce README (aide, catalogue, codes de sortie, modules)",
            ),
            ("__main__", "`python -m clausekit`"),
            ("__init__", "la version"),
            ("consolidate", "l'API : `check()` et `consolidate()`, suites d'étapes nommées"),
            ("inspect", "`clausekit inspect` : ce qui est compris de chaque colonne"),
            ("options", "les paramètres d'une exécution (entrées, sorties, masquage, historique)"),
            (
                "errors",
                "anomalies situées, catalogue des codes (chacun dit son effet sur le code de sortie), `exit_code()`",
            ),
        ),
    ),
    (
        "parse",
        "lecture stricte des valeurs à la française, colonne par colonne (valeurs distinctes, Arrow)",
        (
            ("parse/cells", "une colonne comme ses valeurs distinctes, la tuyauterie Arrow"),
            ("parse/numbers", "nombres et heures (`1 234,5`, `7h30`, `151:40`)"),
            ("parse/dates", "dates (jour d'abord, ISO, numéros de série Excel) et mois"),
            (
                "parse/text",
                "Oui/Non, pliage du texte (accents, apostrophes), catégories, erreurs Excel",
            ),
        ),
    ),
    (
        "preflight",
        "contrôle préalable de chaque fichier, avant tout lecteur (bibliothèque standard seulement)",
        (
            ("preflight/sniff", "le format réel d'après le contenu, fichiers verrous"),
            (
                "preflight/containers",
                "archives zip : répertoire central, bombes, décompression bornée",
            ),
            ("preflight/ole", "fichiers OLE2 : xls, xlsx protégé par mot de passe, xls chiffré"),
            (
                "preflight/xmlscan",
                "parties XML lues en flux : balisage hostile, encodages, références",
            ),
            (
                "preflight/worksheet",
                "feuilles xlsx : plage utilisée et déclarée, formules, erreurs",
            ),
            ("preflight/xlsx", "un paquet xlsx, membre par membre"),
            ("preflight/ods", "un paquet ods (`content.xml`)"),
            ("preflight/findings", "limites, résultat et refus d'un contrôle"),
            ("preflight/check", "l'entrée `preflight()`"),
        ),
    ),
    (
        "pipeline",
        "les étapes, dans l'ordre : chacune n'importe que celles d'avant",
        (
            (
                "pipeline/exportdate",
                "la date de chaque export (nom, lignes de titre, date du fichier)",
            ),
            (
                "pipeline/worker",
                "le processus fils qui lit un classeur (contrôle préalable puis calamine)",
            ),
            (
                "pipeline/read",
                "1 · lecture brute des feuilles, en parallèle, limitée en temps et en mémoire",
            ),
            (
                "pipeline/recognise",
                "2 · ligne d'en-tête, correspondance des colonnes, lignes vides et de total",
            ),
            ("pipeline/validate", "3 · typage, schémas pandera, lignes acceptées et rejetées"),
            (
                "pipeline/reconcile",
                "4a · exports successifs, identifiants aux zéros perdus, niveau des prévisions",
            ),
            ("pipeline/plausible", "4b · dates de naissance et heures mensuelles invraisemblables"),
            (
                "pipeline/identity",
                "4c · la clé d'une personne : empreinte HMAC du nom, du prénom et de la naissance",
            ),
            (
                "pipeline/merge",
                "4 · fusion des territoires, provenance, identification des personnes",
            ),
            (
                "pipeline/counting",
                "5a · lignes de la période codées en entiers, statistiques d'un regroupement",
            ),
            ("pipeline/indicators", "5 · les tableaux du bilan, d'après la table `BREAKDOWNS`"),
            ("pipeline/cumulative", "5b · un mois lu avec son année (cumul depuis janvier)"),
        ),
    ),
    (
        "rules",
        "les vocabulaires, une table chacun",
        (
            (
                "rules/tomlfile",
                "le lecteur strict des TOML modifiables (« Vouliez-vous dire… », code 2)",
            ),
            ("rules/schemas", "les tables de `schemas/` (colonnes, alias, publics, clauses)"),
            ("rules/headers", "la forme souple sous laquelle un en-tête est reconnu"),
            ("rules/fields", "les champs, par leur nom canonique ou français"),
            ("rules/settings", "les règles de comptage qu'une configuration peut changer"),
            ("rules/programmes", "les programmes suivis ensemble (ERBM, CSNE…)"),
            (
                "rules/metrics",
                "la table des indicateurs du rapport : libellé, format, personnes ou non, historique",
            ),
            ("rules/durations", "durées des contrats, écrites ou entre deux dates"),
            ("rules/exits", "familles de contrats et sorties dynamiques"),
            ("rules/labels", "la table des libellés français de tous les codes"),
        ),
    ),
    (
        "output",
        "ce que devient le rapport (n'importe que `rules` et `errors`)",
        (
            (
                "output/masking",
                "masquage des petits effectifs (et suppression secondaire), désidentification",
            ),
            (
                "output/views",
                "le rapport JSON et ses vues françaises ; le champ `kind` dit la vue de synthèse",
            ),
            ("output/records", "les lignes des tableaux : codes en mots, ligne « Ensemble »"),
            ("output/monthly", "le suivi mensuel en grilles (programmes, opérations)"),
            ("output/words", "les mots du rapport : mois, périodes, « n.r. »"),
            ("output/writers", "le registre `WRITERS` des formats, fichiers écrits tout ou rien"),
            ("output/xlsx", "le classeur mis en forme (XlsxWriter)"),
            ("output/textfiles", "csv et markdown"),
            ("output/svgchart", "les graphiques SVG du bilan"),
            ("output/document", "feuille de style, nombres et tableaux HTML du bilan"),
            ("output/bilan", "le document bilan.html"),
            ("output/pdf", "bilan.pdf par Chromium"),
        ),
    ),
    (
        "routine",
        "la routine mensuelle (n'importe ni `pipeline`, ni `output`, ni les verbes)",
        (
            (
                "routine/config",
                "le modèle de `clausekit.toml` : territoires, périodes, modèle `init`",
            ),
            ("routine/configfile", "lecture et contrôle de `clausekit.toml`, clé par clé"),
            ("routine/plan", "le plan d'une exécution : fichiers, territoires, période, sorties"),
            ("routine/lock", "une exécution à la fois par dossier de sortie"),
            ("routine/history", "l'historique SQLite des agrégats, mois par mois"),
        ),
    ),
    (
        "samples",
        "exports fictifs et leurs chiffres attendus (n'importe rien de clausekit)",
        (
            ("samples/__init__", "`write_samples` et les noms publics"),
            ("samples/model", "le modèle de population"),
            ("samples/vocabulary", "les mots des exports fictifs"),
            (
                "samples/population",
                "la population, tirée au hasard mais déterminée par `(lignes, graine)`",
            ),
            ("samples/truth", "les chiffres qu'un rapport juste doit montrer"),
            ("samples/workbook", "l'écriture des classeurs, octet pour octet identique"),
            ("samples/lens", "mise en page de Lens-Liévin"),
            ("samples/henin", "mise en page d'Hénin-Carvin"),
            ("samples/artois", "mise en page de l'Artois"),
        ),
    ),
)


def package_modules() -> set[str]:
    """Every module of the package, as ``room/name`` (``cli``, ``pipeline/merge``)."""
    root = Path(__file__).resolve().parent
    found = set()
    for path in root.rglob("*.py"):
        name = path.relative_to(root).with_suffix("").as_posix()
        if name.endswith("/__init__") and name != "samples/__init__":
            continue  # a room's docstring, said in the room's line
        found.add(name)
    return found


def module_table() -> str:
    listed = [module for _, _, modules in LAYOUT for module, _ in modules]
    missing = sorted(package_modules() - set(listed))
    stale = sorted(set(listed) - package_modules())
    if missing or stale:
        raise SystemExit(
            f"docs.LAYOUT n'est pas à jour : modules sans description {missing}, "
            f"descriptions sans module {stale}."
        )
    lines = ["| module | rôle |", "|---|---|"]
    for room, about, modules in LAYOUT:
        lines.append(f"| **{room + '/' if room else 'racine'}** | **{about}** |")
        for module, role in modules:
            lines.append(f"| `{module}.py` | {role} |")
    return "\n".join(lines)


SECTIONS = {
    "cli": cli_reference,
    "catalogue": catalogue,
    "exits": exit_codes,
    "modules": module_table,
}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- BEGIN GENERATED {name} -->\n).*?(<!-- END GENERATED {name} -->)", re.S
        )
        replacement = make()

        def fill(match: re.Match[str], body: str = replacement) -> str:
            return match.group(1) + body + "\n" + match.group(2)

        text = pattern.sub(fill, text)
    return text


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else Path("README.md")
    current = path.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print(f"{path} n'est pas à jour : lancez `make docs`.", file=sys.stderr)
            return 1
        return 0
    path.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
