"""Every clausekit command the README shows runs: its subcommand and options parse (with
--help appended, so that nothing is written)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from clausekit.cli import app

ROOT = Path(__file__).resolve().parent.parent
SHELL_ENDS = {"|", "||", "&&", ";", "2>>", ">>", ">", "2>"}


def readme_commands() -> list[list[str]]:
    """The arguments of each ``clausekit …`` written in a code block of the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    blocks, inside = [], False
    for line in readme.splitlines():
        if line.startswith("```"):
            inside = not inside
            if inside:
                blocks.append([])
        elif inside:
            blocks[-1].append(line)
    spans = re.findall(r"`((?:\S*[/\\])?clausekit(?: [^`]*)?)`", readme)  # in the text
    blocks.append([span for span in spans if "…" not in span])
    for block in blocks:
        for line in block:
            if line.startswith(("Usage: ", "Utilisation : ")):
                continue
            line = line.split(" #", 1)[0].removeprefix("$ ")
            if line.startswith((" ", "#")) or not re.search(r"(^|\s|/|\\)clausekit(\s|$)", line):
                continue  # a comment, or the text of a help shown below its command
            words = shlex.split(line.replace("\\", "/"))
            for i, word in enumerate(words):
                if word == "clausekit" or word.endswith("/clausekit"):
                    args = []
                    for arg in words[i + 1 :]:
                        if arg in SHELL_ENDS:
                            break
                        args.append(arg)
                    found.append(args)
                    break
    return found


def test_every_command_of_the_readme_parses() -> None:
    commands = readme_commands()
    shown = {" ".join(a[:1]) for a in commands}
    assert shown >= {"config", "consolidate", "history", "init", "inspect", "samples", "validate"}
    runner = CliRunner()
    for args in commands:
        args = [a for a in args if a != "--help"]
        result = runner.invoke(app, [*args, "--help"], prog_name="clausekit")
        assert result.exit_code == 0, (args, result.output)
        assert result.output.startswith("Utilisation : clausekit"), args


def test_readme_windows_commands_are_the_documented_ones() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for text in (
        "py -m pip install --user pipx",
        "pipx install .\\clausekit-main",
        ".venv\\Scripts\\clausekit",
    ):
        assert text in readme, text
