"""The fast range check of worksheets decides exactly as the exact one.

``_SheetScan`` places the cells of each segment either with :meth:`bounded_area` (a few C-level
searches prove that every cell is canonical and within bounds; rows may only be bounded) or with
:meth:`exact_area` (every reference read, tags walked when a cell may lack one). ``fast=False``
keeps to the exact path. These tests feed both the same XML, cut at the same places, and compare
what the user can see: refusal, located issues; and the state carried to the next segment.
"""

from __future__ import annotations

import random
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausekit.errors import Issue
from clausekit.preflight import Limits, preflight
from clausekit.preflight.findings import Found, Refused
from clausekit.preflight.worksheet import (
    _DIGITS,
    _LETTERS,
    _cells_beyond,
    _Rescan,
    _row_bound,
    _SheetScan,
    _up_to,
)
from clausekit.preflight.xmlscan import col_letters

HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"
SMALL = Limits(max_cells=2_000)


# --------------------------------------------------------------------------- helpers


def letters(col: int) -> str:
    return col_letters(col)


def cell(ref: str, value: str = "1", attrs: str = "") -> bytes:
    return f'<c r="{ref}"{attrs}><v>{value}</v></c>'.encode()


def grid(rows: Iterable[int], cols: int, start: int = 1) -> bytes:
    """Canonical rows, as Excel or openpyxl write them."""
    out = []
    for r in rows:
        cells = b"".join(cell(f"{letters(c)}{r}", str(r * c)) for c in range(start, cols + 1))
        out.append(f'<row r="{r}">'.encode() + cells + b"</row>")
    return b"".join(out)


def sheet(body: bytes) -> bytes:
    return HEAD + body + TAIL


def chunked(xml: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``xml`` cut anywhere (the scan regroups chunks into segments ending before a '<')."""
    points = sorted({c for c in cuts if 0 < c < len(xml)})
    return [xml[a:b] for a, b in zip([0, *points], [*points, len(xml)], strict=True)]


def write_book(path: Path, xml: bytes) -> Path:
    """A workbook of one sheet, ``Feuille``, holding ``xml``."""
    workbook = (
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<sheets><sheet name="Feuille" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", rels)
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    return path


Outcome = tuple[Issue | None, list[Issue], int, int, int, bytes]


def scan(chunks: list[bytes], limits: Limits, fast: bool) -> tuple[_SheetScan, Outcome]:
    """What ``worksheet.scan_sheet`` does: a fast scan, again exact when it cannot decide."""
    found = Found(limits.max_issues)
    scanner = _SheetScan("f.xlsx", limits, "Feuille", found, fast=fast)
    refused = None
    try:
        try:
            scanner.run(iter(chunks))
        except _Rescan:
            assert fast
            found = Found(limits.max_issues)
            scanner = _SheetScan("f.xlsx", limits, "Feuille", found, fast=False)
            scanner.run(iter(chunks))
    except Refused as refusal:
        refused = refusal.issue
    state = scanner.max_col, scanner.row_cursor, scanner.col_cursor, scanner.tail
    return scanner, (refused, found.issues, *state)


def same(chunks: list[bytes], limits: Limits = Limits()) -> Outcome:
    """Scan fast and exactly; assert the same outcome; return it."""
    fast, seen = scan(chunks, limits, fast=True)
    exact, expected = scan(chunks, limits, fast=False)
    assert seen == expected
    assert fast.max_row >= exact.max_row
    if fast.row_exact:
        assert fast.max_row == exact.max_row
    return expected


def reason(outcome: Outcome) -> str | None:
    refused = outcome[0]
    return None if refused is None else dict(refused.params).get("reason")


@pytest.fixture
def count_fast(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record what ``bounded_area`` answers, segment by segment."""
    answers: list[bool] = []
    original = _SheetScan.bounded_area

    def spy(self: _SheetScan, segment: bytes) -> bool:
        answers.append(original(self, segment))
        return answers[-1]

    monkeypatch.setattr(_SheetScan, "bounded_area", spy)
    return answers


# --------------------------------------------------------------------------- patterns


def test_up_to_matches_the_numbers_and_columns_not_above_the_limit() -> None:
    digits, alphabet = _DIGITS, _LETTERS
    for limit in [*range(1, 400), 999, 1000, 1099999, 350123, 9999999, 10**7, 123456789]:
        pattern = re.compile(_up_to(str(limit).encode(), digits[1:], digits, 7) + b"$")
        for n in [*range(0, 1200), limit - 1, limit, limit + 1, 10**7, 12345678]:
            for text in (str(n), "0" + str(n)):
                expected = text[0] != "0" and len(text) <= 7 and 0 < n <= limit
                assert bool(pattern.match(text.encode())) is expected, (limit, text)
    for limit in [*range(1, 760), 16384, 18278, 18279, 10**9]:
        pattern = re.compile(_up_to(letters(limit).encode(), alphabet, alphabet, 3) + b"$")
        for col in [*range(1, 800), limit, limit + 1, 16384, 18278, 18279]:
            text = letters(col)
            assert bool(pattern.match(text.encode())) is (len(text) <= 3 and col <= limit)


def test_row_bound_is_round_above_the_row_and_within_half_the_area() -> None:
    assert _row_bound(350123, 20, 50_000_000) == 999999
    assert _row_bound(1048576, 20, 50_000_000) == 1099999
    assert _row_bound(350123, 47, 50_000_000) == 399999
    assert _row_bound(350123, 16384, 50_000_000) == 350123  # no round bound fits: exact
    for row in [1, 9, 10, 57, 4096, 999999, 1000000]:
        for cols in [1, 20, 300]:
            bound = _row_bound(row, cols, 2_000_000)
            assert bound >= row
            assert bound == row or bound * cols <= 1_000_000


def test_cells_beyond_flags_any_cell_that_is_not_canonical_or_out_of_bounds() -> None:
    pattern = _cells_beyond(20, 999)  # columns A..T, rows 1..999
    for good in [b'<c r="A1"', b'<c r="T999" s="1">', b'<c r="B10"/>']:
        assert pattern.search(good) is None, good
    for bad in [
        b'<c r="U1">',
        b'<c r="AA1">',
        b'<c r="A1000">',
        b'<c r="A0">',
        b'<c r="A01">',
        b'<c r="a1">',
        b'<c r="$A$1">',
        b"<c>",
        b"<c/>",
        b'<c s="1" r="A1">',
        b"<col min='1'/>",
        b"<cols>",
        b"<c r=\"A1'>",
        b"<c\tr='A1'>",
    ]:
        assert pattern.search(bad) is not None, bad


# --------------------------------------------------------------------------- canonical sheets


def test_canonical_sheet_takes_the_fast_path_with_the_same_outcome(
    count_fast: list[bool],
) -> None:
    xml = sheet(grid(range(1, 3001), 12))
    outcome = same(chunked(xml, range(0, len(xml), 7919)), Limits())
    assert outcome[0] is None and outcome[1] == []
    assert outcome[2:5] == (12, 3000, 12)
    assert len(count_fast) > 100
    assert count_fast.count(True) > 0.9 * len(count_fast)


def test_canonical_sheet_cut_anywhere() -> None:
    xml = sheet(grid(range(1, 200), 7))
    rng = random.Random(5)
    for _ in range(30):
        same(chunked(xml, rng.sample(range(len(xml)), 8)))
        same(chunked(xml, rng.sample(range(len(xml)), 8)), SMALL)


def test_formula_and_error_findings_are_the_same() -> None:
    body = grid(range(1, 50), 5) + (
        b'<row r="50"><c r="A50"><f>SUM(A1:A49)</f></c><c r="B50" t="e"><v>#N/A</v></c>'
        b'<c r="C50" t="str"><f>A1</f><v></v></c><c r="D50" t=\'e\'><v>#REF!</v></c></row>'
    )
    xml = sheet(body + grid(range(51, 120), 5))
    rng = random.Random(7)
    for _ in range(20):
        outcome = same(chunked(xml, rng.sample(range(len(xml)), 6)))
        assert [i.code for i in outcome[1]] == [
            "VALUE_FORMULA_NO_CACHE",
            "VALUE_EXCEL_ERROR",
            "VALUE_EXCEL_ERROR",
        ]


# --------------------------------------------------------------------------- hostile sheets


@pytest.mark.parametrize(
    ("hidden", "refused"),
    [
        (b'<c r="XFD1048576"><v>1</v></c>', True),  # far cell among canonical ones
        (b'<c r="B1048576"><v>1</v></c>', True),  # far row only
        (b'<c r="XFD2"><v>1</v></c>', True),  # far column only
        (b'<c r="B2" r="XFD1048576"><v>1</v></c>', True),  # second reference
        (b'<c r="B2" s="1" r="XFD1048576"><v>1</v></c>', True),
        (b'<c s="1" r="XFD1048576"><v>1</v></c>', True),  # reference not first
        (b"<c r='XFD1048576'><v>1</v></c>", True),  # single quotes
        (b'<c r="$XFD$1048576"><v>1</v></c>', True),
        (b'<c r="xfd1048576"><v>1</v></c>', True),
        (b'<c r="XFD01048576"><v>1</v></c>', True),
        (b"<c/>" * 600, True),  # cells without reference, placed after the previous one
        (b'<x:c r="XFD1048576"><x:v>1</x:v></x:c>', True),  # odd namespace prefix
        # A second reference the exact path does not count (no ' r="'): refused by neither
        # path; an XML parser rejects the duplicate attribute anyway.
        (b"<c r=\"B2\"\tr='XFD1048576'><v>1</v></c>", False),
    ],
)
def test_a_far_cell_hidden_mid_segment_is_refused_as_exactly(hidden: bytes, refused: bool) -> None:
    body = grid(range(1, 400), 9)  # 399 x 9 = 3,591 cells
    at = body.index(b'<c r="C200"')
    xml = sheet(body[:at] + hidden + body[at:])
    limits = Limits(max_cells=5_000)
    for cuts in ([], [len(xml) // 3, len(xml) // 2], range(0, len(xml), 997)):
        same(chunked(xml, cuts))
        outcome = same(chunked(xml, cuts), limits)
        assert (reason(outcome) is not None) is refused


def test_rows_out_of_order() -> None:
    xml = sheet(grid([900], 3) + grid(range(1, 300), 3) + grid([1048576], 60) + grid([5], 3))
    outcome = same(chunked(xml, range(0, len(xml), 1500)))
    assert reason(outcome) == "plage démesurée (BH1048576)"
    assert same(chunked(xml, range(0, len(xml), 1500)), Limits(max_cells=10**9))[0] is None


@pytest.mark.parametrize("stray", [b"", b' r="B9"'])
@pytest.mark.parametrize("row", [b"<row>", b'<row r="77">', b'<x:row r="77">'])
def test_a_row_tag_ends_a_segment_before_cells_without_reference(stray: bytes, row: bytes) -> None:
    """Where the next cells go depends on how the exact path read this segment: the fast one
    must leave the same cursors (with a stray ' r="' the exact path walks the tags)."""
    first = grid(range(1, 10), 4)
    second = grid(range(10, 40), 4) + b'<row r="40">' + cell("A40") + cell("B40") + cell("C40")
    second += b'<c r="D40" t="inlineStr"><is><t>x' + stray + b"</t></is></c></row>" + row
    third = b"<c/>" * 30 + b"</row>" + grid(range(80, 90), 4)
    xml = sheet(first + second + third)
    # A chunk cut just after a '<' ends a segment just before it (see xmlscan.segments).
    cuts = [len(HEAD) + len(first) + 1, len(HEAD) + len(first) + len(second) + 1]
    for limits in (Limits(), Limits(max_cells=2_000), Limits(max_cells=2_600)):
        same(chunked(xml, cuts), limits)
        same(chunked(xml, [*cuts, cuts[1] - 7]), limits)


def test_cells_of_row_zero_and_leading_zeros() -> None:
    xml = sheet(b'<row r="1"><c r="A0"/><c r="B007"/><c r="C1"/></row>' + grid(range(2, 30), 3))
    same(chunked(xml, [60, 200]))
    same(chunked(xml, []), Limits(max_cells=20))


def test_segments_without_cells_and_markup_around_sheet_data() -> None:
    head = HEAD.replace(b"<sheetData>", b'<dimension ref="A1:C3"/><cols><col min="1"/></cols>')
    body = b"<sheetData>" + grid(range(1, 4), 3) + b"</sheetData>"
    tail = b'<mergeCells><mergeCell ref="A1:B1"/></mergeCells><hyperlinks/></worksheet>'
    xml = head + body + tail
    for cuts in ([], [len(head)], [len(head), len(head) + len(body)], range(0, len(xml), 13)):
        same(chunked(xml, cuts))


# --------------------------------------------------------------------------- bounds and rescans


def test_bounded_rows_trigger_an_exact_rescan_when_more_columns_come_late() -> None:
    # A first segment of 23 rows of 10 columns: rows bounded by 99 (99 x 10 <= 2000 / 2).
    # Then one row of 45 columns: 99 x 45 > 2000 but the true range 41 x 45 = 1845 is fine.
    xml = sheet(grid(range(1, 41), 10) + grid([41], 45))
    chunks = chunked(xml, [xml.index(b'<row r="24"')])
    fast = _SheetScan("f.xlsx", SMALL, "Feuille", Found(10), fast=True)
    with pytest.raises(_Rescan):
        fast.run(iter(chunks))
    assert same(chunks, SMALL)[0] is None
    assert reason(same(chunks, Limits(max_cells=1844))) == "plage démesurée (AS41)"


def test_a_far_cell_after_bounded_rows_is_refused_without_rescan() -> None:
    # Rows bounded by 999 after the second segment; the far cell comes amid later rows.
    far = grid([1048576], 16384, start=16384)
    xml = sheet(grid(range(1, 301), 5) + far + grid(range(301, 400), 5))
    cuts = [xml.index(b'<row r="%d"' % r) for r in (100, 200, 1048576)]
    scanner = _SheetScan("f.xlsx", Limits(), "Feuille", Found(10), fast=True)
    with pytest.raises(Refused) as refusal:
        scanner.run(iter(chunked(xml, cuts)))
    assert dict(refusal.value.issue.params)["reason"] == "plage démesurée (XFD1048576)"


def test_rescan_through_preflight_keeps_issues_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40,000 rows of one cell (1.6 MB): the first mebibyte of rows is bounded by 99,999, which
    # times 6 columns (the last row) exceeds 250,000 cells; the true range 40,001 x 6 does not.
    error = b'<row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c></row>'
    xml = sheet(error + grid(range(2, 40001), 1) + grid([40001], 6))
    path = write_book(tmp_path / "late.xlsx", xml)
    modes: list[bool] = []
    original = _SheetScan.__init__

    def spy(self: _SheetScan, *args: Any, fast: bool = True) -> None:
        modes.append(fast)
        original(self, *args, fast=fast)

    monkeypatch.setattr(_SheetScan, "__init__", spy)
    result = preflight(path, Limits(max_cells=250_000))
    assert modes == [True, False]  # a rescan
    assert result.fatal == []
    assert [i.code for i in result.issues] == ["VALUE_EXCEL_ERROR"]
    refused = preflight(path, Limits(max_cells=240_005)).fatal
    assert [dict(i.params).get("reason") for i in refused] == ["plage démesurée (F40001)"]


def test_preflight_of_a_multi_chunk_sheet_is_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(11)
    body = grid(range(1, 30001), 6)
    for odd in (b"<row><c/><c/></row>", grid([900000], 55), b'<row r="7"><c r="A7"/></row>'):
        at = body.index(b"<row ", rng.randrange(len(body)))  # hidden somewhere in 4 MB of cells
        body = body[:at] + odd + body[at:]
    path = write_book(tmp_path / "big.xlsx", sheet(body))
    results = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(_SheetScan, "bounded_area", lambda self, segment: False)
        for limits in (Limits(), Limits(max_cells=40_000_000)):
            result = preflight(path, limits)
            results.append((result.fatal, result.issues, result.sheets))
    assert results[:2] == results[2:]
    assert results[0][0] == [] and results[1][0][0].code == "FILE_HOSTILE"


# --------------------------------------------------------------------------- property


ODD_CELLS = [
    "none",  # no reference: placed after the previous cell
    "far",
    "second",  # a second reference
    "second_tab",
    "later",  # the reference after another attribute
    "quoted",
    "lower",
    "zero",  # leading zero
    "prefixed",
    "prefixed_far",
    "prefixed_bare",
]
CONTENTS = {
    "v": "<v>1</v>",
    "is": '<is><t xml:space="preserve">a b</t></is>',
    "f": "<f>1+1</f>",
    "fv": "<f>1+1</f><v>2</v>",
    "e": "<v>#N/A</v>",
    "empty": "",
}
NOISE = [
    b' x r="A1"',
    b' t="e"',
    b" a:c ",
    b" &amp; ",
    b"'",
    b"<!-- c -->",
    b"<extLst/>",
    b'<is><t>a r="A1"</t></is>',
]


def odd_cell(kind: str, ref: str) -> tuple[str, str]:
    """Tag name and attributes of a cell written in an unusual way."""
    col, row = ref.rstrip("0123456789"), ref[len(ref.rstrip("0123456789")) :]
    return {
        "none": ("c", ""),
        "far": ("c", ' r="XFD1048576"'),
        "second": ("c", f' r="{ref}" s="1" r="ZZ{int(row) + 5}"'),
        "second_tab": ("c", f" r=\"{ref}\"\tr='XFD{row}'"),
        "later": ("c", f' s="1" r="{ref}"'),
        "quoted": ("c", f" r='{ref}'"),
        "lower": ("c", f' r="{ref.lower()}"'),
        "zero": ("c", f' r="{col}0{row}"'),
        "prefixed": ("x:c", f' r="{ref}"'),
        "prefixed_far": ("x:c", ' r="AZ99999"'),
        "prefixed_bare": ("x:c", ""),
    }[kind]


@st.composite
def worksheets(draw: st.DrawFn) -> tuple[bytes, list[int], Limits]:
    """Mostly canonical rows of varying width, with odd rows, cells and text here and there."""
    out = [HEAD]
    row = 0
    odd = st.integers(0, 9).map(lambda n: n == 0)  # one time in ten
    for _ in range(draw(st.integers(1, 30))):
        if draw(odd):
            row = draw(st.sampled_from([row + 5, max(1, row - 3), 1048576]))
            tag = draw(
                st.sampled_from(
                    [f'<row r="{row}" spans="1:9">', f'<x:row r="{row}">', "<row>", "<row/>"]
                )
            )
            row += tag == "<row>"
        else:
            row += 1
            tag = f'<row r="{row}">'
        out.append(tag.encode())
        if tag == "<row/>":
            continue
        for col in range(1, draw(st.integers(0, 14)) + 1):
            ref = f"{letters(col)}{row}"
            if draw(odd):
                name, attrs = odd_cell(draw(st.sampled_from(ODD_CELLS)), ref)
            else:
                name, attrs = "c", f' r="{ref}"'
            kind = draw(st.sampled_from(list(CONTENTS))) if draw(odd) else "v"
            attrs += ' t="e"' if kind == "e" else ""
            out.append(f"<{name}{attrs}>{CONTENTS[kind]}</{name}>".encode())
            if draw(odd):
                out.append(draw(st.sampled_from(NOISE)))
        out.append(b"</row>")
    out.append(TAIL)
    xml = b"".join(out)
    tags = [i + 1 for i in range(1, len(xml)) if xml[i] == ord("<")]  # a segment ends there
    cuts = draw(st.lists(st.sampled_from(tags), max_size=8))
    cuts += draw(st.lists(st.integers(1, len(xml) - 1), max_size=3))
    limits = Limits(max_cells=draw(st.sampled_from([40, 150, 400, 2_000, 50_000_000])))
    return xml, cuts, limits


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worksheets())
def test_fast_and_exact_scans_agree_on_any_sheet(case: tuple[bytes, list[int], Limits]) -> None:
    xml, cuts, limits = case
    same(chunked(xml, cuts), limits)
