"""Regenerate the generated parts of README.md from the code (CLI reference, issue catalogue,
exit codes). ``python -m clausekit.docs README.md --check`` fails when the README is stale."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from clausekit.errors import CATALOGUE, WARNINGS_THAT_MATTER


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


SECTIONS = {"cli": cli_reference, "catalogue": catalogue}


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
