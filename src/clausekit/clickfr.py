"""Click's own words in French: help, usage and the messages of a mistyped command line.

Typer carries its own copy of Click, whose messages are English f-strings (« Show this message
and exit », « Missing argument », « No such option ») and a few ``gettext`` strings. Nothing
there can be configured, so :func:`install` replaces them once, at the command line's import:
the help option's text, the « Usage: » prefix, the section titles, the ``[default: …]``
notes, the type names shown in help, and every usage error, translated by the table
:data:`MESSAGES` when it is shown. A message the table does not know is shown as is.
"""

from __future__ import annotations

import re
from typing import Any

HELP = "Afficher ce message et quitter."
USAGE = "Utilisation : "

WORDS = {  # typer's gettext strings
    "Arguments": "Arguments",
    "Options": "Options",
    "Commands": "Commandes",
    "required": "obligatoire",
    "default: {default}": "par défaut : {default}",
    "env var: {var}": "variable d'environnement : {var}",
    "(dynamic)": "(dynamique)",
    "Aborted!": "Abandon.",
    "Missing command.": "Commande manquante.",
    "No such command {name!r}.": "Commande inconnue : « {name} ».",
}

TYPES = {  # the type shown after an option in help
    "<int range>": "<entier>",
    "<float range>": "<nombre>",
    "<int>": "<entier>",
    "<float>": "<nombre>",
    "<str>": "<texte>",
    "<path>": "<chemin>",
    "<list[Path]>": "<chemins>",
    "<list[str]>": "<texte>",
}

# English message (regular expression) → French; applied in this order, each once
MESSAGES: tuple[tuple[str, str], ...] = (
    (r"Missing argument '([^']+)'\.", r"Argument manquant : « \1 »."),
    (r"Missing option '([^']+)'(?: / '([^']+)')?\.", r"Option manquante : « \1 »."),
    (r"Missing parameter: (\S+)", r"Paramètre manquant : « \1 »."),
    (r"No such option: (\S+)", r"Option inconnue : \1"),
    (r"\(Possible options: ([^)]+)\)", r"(options possibles : \1)"),
    (r"Did you mean ([^?]+)\?", r"Vouliez-vous dire \1 ?"),
    (r"No such command '([^']+)'\.", r"Commande inconnue : « \1 »."),
    (r"Option '([^']+)' requires an argument\.", r"L'option « \1 » attend une valeur."),
    (r"Option '([^']+)' does not take a value\.", r"L'option « \1 » ne prend pas de valeur."),
    (r"Got unexpected extra argument\(s\) \(([^)]*)\)", r"Argument(s) en trop : \1"),
    (r"Invalid value for '([^']+)'(?: / '[^']+')?: ", r"Valeur invalide pour « \1 » : "),
    (r"Invalid value: ", r"Valeur invalide : "),
    (
        r"Input should be a valid integer, unable to parse string as an integer",
        r"un nombre entier est attendu",
    ),
    (r"Input should be a valid integer", r"un nombre entier est attendu"),
    (r"Input should be a valid number[^.]*", r"un nombre est attendu"),
    (r"Input should be greater than or equal to (\S+)", r"au moins \1 est attendu"),
    (r"Input should be less than or equal to (\S+)", r"au plus \1 est attendu"),
    (r"Input should be greater than (\S+)", r"plus de \1 est attendu"),
    (r"Input should be less than (\S+)", r"moins de \1 est attendu"),
    (r"Value '([^']*)' is not a valid (\S+)\.", r"« \1 » n'est pas une valeur valide."),
    (r"'([^']*)' is not one of (.+)\.", r"« \1 » n'est pas l'une des valeurs : \2."),
    (r"(\S+) '([^']*)' does not exist\.", r"« \2 » n'existe pas."),
    (r"Missing command\.", r"Commande manquante."),
)
_COMPILED = tuple((re.compile(p), r) for p, r in MESSAGES)


def french(message: str) -> str:
    """A Click message in French (unknown messages unchanged)."""
    for pattern, replacement in _COMPILED:
        message = pattern.sub(replacement, message, count=1)
    return message


_installed = False


def install() -> None:
    """Put the French words in place (once; idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from typer import core as typer_core
    from typer._click import decorators, exceptions, formatting
    from typer._click._compat import get_text_stderr
    from typer._click.utils import echo

    typer_core._ = lambda text: WORDS.get(text, text)  # type: ignore[attr-defined,assignment]

    english_help_option = decorators.help_option

    def help_option(param_decls: list[str]) -> Any:
        make = english_help_option(param_decls)

        def apply(command: Any) -> Any:
            command = make(command)
            command.params[-1].help = HELP
            return command

        return apply

    decorators.help_option = help_option  # type: ignore[assignment]

    write_usage = formatting.HelpFormatter.write_usage

    def french_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = args.replace("COMMAND [ARGS]", "COMMANDE [ARGUMENTS]")
        write_usage(self, prog, args, USAGE if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = french_usage  # type: ignore[method-assign]

    display_type = typer_core._TyperParameter.display_type

    def french_type(self: Any, ctx: Any) -> str:
        shown = display_type(self, ctx)
        return TYPES.get(shown, shown)

    typer_core._TyperParameter.display_type = french_type  # type: ignore[method-assign]

    def show_error(self: Any, file: Any = None) -> None:
        if file is None:
            file = get_text_stderr()
        echo(f"Erreur : {french(self.format_message())}", file=file)

    def show_usage_error(self: Any, file: Any = None) -> None:
        if file is None:
            file = get_text_stderr()
        ctx = self.ctx
        if ctx is not None:
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = f"Aide : {ctx.command_path} {ctx.help_option_names[0]}\n"
            echo(f"{ctx.get_usage()}\n{hint}", file=file, color=ctx.color)
        echo(f"Erreur : {french(self.format_message())}", file=file)

    exceptions.ClickException.show = show_error  # type: ignore[method-assign]
    exceptions.UsageError.show = show_usage_error  # type: ignore[method-assign]
