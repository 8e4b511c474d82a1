"""The one exit-code policy: each catalogue code says what it does to the exit, and
errors.exit_code decides a run's exit from its issues (expectations chosen by hand)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clausekit.errors import (
    CATALOGUE,
    EXIT_CATEGORIES,
    UNREADABLE_CODES,
    WARNINGS_THAT_MATTER,
    ExitCode,
    exit_code,
    exit_effect,
    make_issue,
)
from clausekit.inspect import FileReport
from clausekit.inspect import exit_code as inspect_exit_code


@pytest.mark.parametrize(
    ("codes", "unreadable", "expected"),
    [
        ((), False, 0),
        (("FILE_EXTENSION_MISMATCH",), False, 0),  # an informative warning
        (("COLUMN_UNMAPPED", "FILE_LOCK_SKIPPED"), False, 0),
        (("NO_HOURS",), False, 1),  # a warning that changes the figures
        (("PARTICIPANT_DUPLICATE_ID", "FILE_EXTENSION_MISMATCH"), False, 1),
        (("VALUE_NOT_NUMBER",), False, 1),  # an error in a cell: the row is rejected
        (("FILE_ENCRYPTED",), False, 3),
        (("NO_HOURS", "VALUE_NOT_NUMBER", "FILE_NOT_FOUND"), False, 3),  # the worst wins
        (("NO_HOURS",), True, 3),  # a file said unreadable without an issue of its own
        ((), True, 3),
    ],
)
def test_exit_code_from_issues(codes: tuple[str, ...], unreadable: bool, expected: int) -> None:
    issues = [make_issue(code, file="a.xlsx") for code in codes]
    assert exit_code(issues, unreadable=unreadable) == expected


def test_each_catalogue_code_says_what_it_does_to_the_exit() -> None:
    assert exit_effect("FILE_HOSTILE") == ExitCode.UNREADABLE
    assert exit_effect("FORECAST_CONFLICT") == ExitCode.DATA_ISSUES
    assert exit_effect("FILE_EXTENSION_MISMATCH") == ExitCode.OK
    for code, info in CATALOGUE.items():
        assert info.exit_effect in (ExitCode.OK, ExitCode.DATA_ISSUES, ExitCode.UNREADABLE)
        if info.severity == "error":  # an error never leaves the exit at 0
            assert info.exit_effect != ExitCode.OK, code
    assert len(UNREADABLE_CODES) == 7
    assert len(WARNINGS_THAT_MATTER) == 12
    assert {"FILE_NO_TABLE", "ROW_NO_MONTH", "SHEET_NOT_RECOGNISED"} <= WARNINGS_THAT_MATTER


def test_inspect_exits_3_for_an_unreadable_file_only() -> None:
    read = FileReport("a.xlsx", "Lens", (), (make_issue("NO_HOURS"),))
    lost = FileReport("b.xlsx", "", (), (make_issue("FILE_ENCRYPTED", file="b.xlsx"),), True)
    assert inspect_exit_code([]) == 0
    assert inspect_exit_code([read]) == 0  # inspect explains, it does not judge the data
    assert inspect_exit_code([read, lost]) == 3


def test_every_exit_category_is_in_the_readme() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Codes de sortie", 1)[1].split("\n## ", 1)[0]
    listed = {int(n) for n in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert listed == set(EXIT_CATEGORIES) == {0, 1, 2, 3, 4, 130}
    assert {int(c) for c in ExitCode} <= set(EXIT_CATEGORIES)
