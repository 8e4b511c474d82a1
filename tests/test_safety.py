"""Preflight checks: every hostile file is built here, in tmp_path (no binaries in git)."""

from __future__ import annotations

import base64
import datetime as dt
import os
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from clausekit.errors import Issue
from clausekit.preflight import Limits, Preflight, is_lock_file, preflight, sniff_format

SHEET = "xl/worksheets/sheet1.xml"
SECRET = "Dupont Jean-Michel"  # personal data: must never appear in a message


# --------------------------------------------------------------------------- helpers


def run(path: Path, limits: Limits | None = None) -> Preflight:
    """Preflight within a time bound (each case should take milliseconds)."""
    start = time.monotonic()
    result = preflight(path, limits or Limits())
    elapsed = time.monotonic() - start
    assert elapsed < 5, f"preflight took {elapsed:.1f} s"
    for issue in [*result.fatal, *result.issues]:
        assert SECRET not in issue.message
        assert issue.file == str(path)
    return result


def only_fatal(result: Preflight, code: str) -> Issue:
    assert [i.code for i in result.fatal] == [code], [i.message for i in result.fatal]
    return result.fatal[0]


def param(issue: Issue, name: str) -> str:
    return dict(issue.params)[name]


def clean_workbook(path: Path) -> Path:
    """A normal export: text, numbers, dates, two visible sheets and a hidden one."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contrats"
    ws.append(["Nom", "Date de début", "Heures", "Montant"])
    for i in range(1, 30):
        ws.append([f"Personne {i}", dt.date(2025, 1, i % 28 + 1), 151.67 + i, 1234.5 * i])
    other = wb.create_sheet("Opérations & suivi")
    other.append(["Opération", "Heures prévues"])
    other.append(["Tramway ligne 3", 12000])
    hidden = wb.create_sheet("Paramètres")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "x"
    wb.save(path)
    return path


def rewrite(
    src: Path,
    dst: Path,
    edits: dict[str, bytes | Callable[[bytes], bytes]] | None = None,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Copy a zip, replacing or transforming some members and adding others."""
    edits = edits or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            edit = edits.get(info.filename)
            if callable(edit):
                data = edit(data)
            elif edit is not None:
                data = edit
            zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def in_sheet_data(cells: bytes) -> Callable[[bytes], bytes]:
    """Append raw XML just before </sheetData>."""

    def edit(data: bytes) -> bytes:
        assert b"</sheetData>" in data
        return data.replace(b"</sheetData>", cells + b"</sheetData>")

    return edit


def shared_strings(*texts: bytes) -> bytes:
    items = b"".join(b"<si><t>" + t + b"</t></si>" for t in texts)
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1">' + items + b"</sst>"
    )


def patch_central_size(path: Path, member: str, size: int) -> None:
    """Overwrite the uncompressed size the central directory declares for ``member``."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == name:
            struct.pack_into("<L", data, pos + 24, size)
            path.write_bytes(bytes(data))
            return
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(member)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return clean_workbook(tmp_path / "base.xlsx")


# --------------------------------------------------------------------------- clean files


def test_clean_workbook_has_no_issue(base: Path) -> None:
    result = run(base)
    assert result.format == "xlsx"
    assert result.fatal == [] and result.issues == []
    assert result.ok
    assert result.date1904 is False
    assert [s.name for s in result.sheets] == ["Contrats", "Opérations & suivi", "Paramètres"]
    assert result.sheets[0].part == SHEET
    assert result.hidden_sheets == ["Paramètres"]
    assert sniff_format(base) == "xlsx"


def test_date1904_flag(base: Path, tmp_path: Path) -> None:
    def flag(data: bytes) -> bytes:
        return data.replace(b"<workbookPr />", b'<workbookPr date1904="1"/>').replace(
            b"<workbookPr/>", b'<workbookPr date1904="true"/>'
        )

    result = run(rewrite(base, tmp_path / "d.xlsx", {"xl/workbook.xml": flag}))
    assert result.fatal == [] and result.date1904 is True


def test_cell_of_exactly_the_limit_and_entity_heavy_text_are_accepted(
    base: Path, tmp_path: Path
) -> None:
    exact = "é".encode() * 32_767
    entities = b"&amp;" * 30_000  # 150,000 bytes but 30,000 characters
    escapes = b"_x000D_" * 30_000  # Excel's escaped carriage returns
    sst = shared_strings(exact, entities, escapes)
    result = run(rewrite(base, tmp_path / "ok.xlsx", extra={"xl/sharedStrings.xml": sst}))
    assert result.fatal == [] and result.issues == []


def test_ods_written_by_pandas(tmp_path: Path) -> None:
    path = tmp_path / "export.ods"
    pd.DataFrame({"Nom": ["A", "B"], "Heures": [1.5, 2.0]}).to_excel(
        path, engine="odf", index=False, sheet_name="Participants"
    )
    result = run(path)
    assert result.format == "ods"
    assert result.fatal == [] and result.issues == []
    assert [s.name for s in result.sheets] == ["Participants"]
    assert sniff_format(path) == "ods"


def test_ods_trailing_empty_repeats_are_fine_but_repeated_content_is_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.ods"
    pd.DataFrame({"Nom": ["A", "B"]}).to_excel(path, engine="odf", index=False)
    # LibreOffice ends every sheet with a huge repeat of empty cells: legitimate.
    empty = (
        b'<table:table-row table:number-rows-repeated="1048573">'
        b'<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
    )
    full = (
        b'<table:table-row table:number-rows-repeated="1048573">'
        b'<table:table-cell table:number-columns-repeated="16384" office:value-type="float" '
        b'office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
    )

    def add(row: bytes) -> Callable[[bytes], bytes]:
        return lambda data: data.replace(b"</table:table>", row + b"</table:table>")

    ok = run(rewrite(path, tmp_path / "ok.ods", {"content.xml": add(empty)}))
    assert ok.format == "ods" and ok.fatal == []
    bad = run(rewrite(path, tmp_path / "bad.ods", {"content.xml": add(full)}))
    issue = only_fatal(bad, "FILE_HOSTILE")
    assert "plage démesurée" in issue.message and issue.sheet == "Sheet1"


def test_csv_variants(tmp_path: Path) -> None:
    utf8 = tmp_path / "a.csv"
    utf8.write_text("Nom;Heures\nÉlodie;151,67\n", encoding="utf-8")
    cp1252 = tmp_path / "b.csv"
    cp1252.write_bytes("Nom;Heures\nÉlodie;151,67\n".encode("cp1252"))
    utf16 = tmp_path / "c.csv"
    utf16.write_text("Nom\tHeures\nÉlodie\t151,67\n", encoding="utf-16")
    for path in (utf8, cp1252, utf16):
        result = run(path)
        assert (result.format, result.fatal, result.issues) == ("csv", [], [])
        assert sniff_format(path) == "csv"


# --------------------------------------------------------------------------- format and extension


def test_csv_named_xlsx_gives_a_mismatch_warning(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("Nom;Heures\nA;1\n", encoding="utf-8")
    result = run(path)
    assert result.format == "csv" and result.fatal == []
    assert [i.code for i in result.issues] == ["FILE_EXTENSION_MISMATCH"]
    issue = result.issues[0]
    assert issue.severity == "warning"
    assert param(issue, "extension") == ".xlsx" and param(issue, "detected") == "csv"


def test_xlsx_named_xls_gives_a_mismatch_warning(base: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_bytes(base.read_bytes())
    result = run(path)
    assert result.format == "xlsx" and result.fatal == []
    assert [(i.code, param(i, "detected")) for i in result.issues] == [
        ("FILE_EXTENSION_MISMATCH", "xlsx")
    ]


def test_binary_named_xlsx_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"%PDF-1.7\n\x00\x01\x02\xff" * 100)
    result = run(path)
    assert result.format == "unknown"
    only_fatal(result, "FILE_FORMAT_UNKNOWN")
    assert result.issues == []
    assert sniff_format(path) == "unknown"


def test_html_named_xls_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text("<html><body><table><tr><td>Nom</td></tr></table></body></html>")
    only_fatal(run(path), "FILE_FORMAT_UNKNOWN")


def test_other_zip_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    result = run(path)
    assert result.format == "unknown"
    only_fatal(result, "FILE_FORMAT_UNKNOWN")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "vide.xlsx"
    empty.write_bytes(b"")
    assert "vide" in only_fatal(run(empty), "FILE_UNREADABLE").message
    only_fatal(run(tmp_path / "absent.xlsx"), "FILE_NOT_FOUND")
    only_fatal(run(tmp_path), "FILE_UNREADABLE")


def test_lock_files(tmp_path: Path) -> None:
    assert is_lock_file(Path("~$export.xlsx"))
    assert is_lock_file(Path("dossier/.~lock.export.xlsx#"))
    assert not is_lock_file(Path("export.xlsx"))
    lock = tmp_path / "~$export.xlsx"
    lock.write_bytes(b"\x0bJ. Dupont" + b"\x00" * 40)
    only_fatal(run(lock), "FILE_LOCK_SKIPPED")


# --------------------------------------------------------------------------- zip bombs and damage


def test_truncated_xlsx(base: Path, tmp_path: Path) -> None:
    data = base.read_bytes()
    path = tmp_path / "tronque.xlsx"
    path.write_bytes(data[: len(data) // 2])
    result = run(path)
    assert result.format == "xlsx"
    issue = only_fatal(result, "FILE_UNREADABLE")
    assert param(issue, "reason") == "archive zip tronquée ou corrompue"


def test_zip_bomb_is_refused_before_inflating(base: Path, tmp_path: Path) -> None:
    path = rewrite(base, tmp_path / "bomb.xlsx")
    block = b"\x00" * (1 << 20)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf,
        zf.open("xl/media/zeros.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(200):  # 200 MiB of zeros, written as a stream
            member.write(block)
    tracemalloc.start()
    try:
        result = run(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024
    issue = only_fatal(result, "FILE_HOSTILE")
    assert "taux de compression" in param(issue, "reason")
    assert result.format == "xlsx"


def test_declared_size_bomb(base: Path, tmp_path: Path) -> None:
    path = rewrite(base, tmp_path / "declared.xlsx")
    patch_central_size(path, SHEET, 3 * 1024**3)  # the directory claims 3 GiB
    tracemalloc.start()
    try:
        start = time.monotonic()
        result = run(path)
        elapsed = time.monotonic() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1 and peak < 100 * 1024 * 1024
    issue = only_fatal(result, "FILE_HOSTILE")
    assert "décompressée" in param(issue, "reason")


def test_member_lying_about_its_size_is_never_inflated_past_it(base: Path, tmp_path: Path) -> None:
    path = rewrite(base, tmp_path / "liar.xlsx")
    patch_central_size(path, SHEET, 100)  # declares 100 bytes, holds more
    result = run(path)
    assert "supérieure à l'annonce" in only_fatal(result, "FILE_HOSTILE").message


def test_too_many_members(base: Path, tmp_path: Path) -> None:
    extra = {f"xl/media/pad{i}.xml": b"<a/>" for i in range(30)}
    path = rewrite(base, tmp_path / "many.xlsx", extra=extra)
    issue = only_fatal(run(path, Limits(max_entries=20)), "FILE_HOSTILE")
    assert "fichiers" in param(issue, "reason")
    assert run(path).fatal == []  # fine with the default limit


def test_duplicate_member_names(base: Path, tmp_path: Path) -> None:
    path = rewrite(base, tmp_path / "dup.xlsx")
    with (
        pytest.warns(UserWarning, match="Duplicate name"),
        zipfile.ZipFile(path, "a") as zf,
    ):
        zf.writestr(SHEET, b"<worksheet/>")
    issue = only_fatal(run(path), "FILE_HOSTILE")
    assert "double" in param(issue, "reason")


# --------------------------------------------------------------------------- hostile XML

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<si><t>&lol9;</t></si></sst>"
)


def test_billion_laughs_in_shared_strings(base: Path, tmp_path: Path) -> None:
    path = rewrite(base, tmp_path / "lol.xlsx", extra={"xl/sharedStrings.xml": BILLION_LAUGHS})
    issue = only_fatal(run(path), "FILE_HOSTILE")
    assert param(issue, "reason") == "entités XML interdites (DOCTYPE)"


def test_external_entity_in_a_sheet(base: Path, tmp_path: Path) -> None:
    def xxe(data: bytes) -> bytes:
        return (
            b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + data.replace(b"<v>", b"<v>&x;", 1)
        )

    path = rewrite(base, tmp_path / "xxe.xlsx", {SHEET: xxe})
    issue = only_fatal(run(path), "FILE_HOSTILE")
    assert "DOCTYPE" in param(issue, "reason") and issue.sheet == "Contrats"


def test_doctype_split_across_chunks_and_in_utf16(base: Path, tmp_path: Path) -> None:
    split = b" " * ((1 << 20) - 4) + b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    for name, data in (
        ("split.xlsx", split),
        ("utf16.xlsx", utf16.encode("utf-16")),
        ("utf16nobom.xlsx", utf16.encode("utf-16-le")),
    ):
        path = rewrite(base, tmp_path / name, extra={"docProps/custom.xml": data})
        only_fatal(run(path), "FILE_HOSTILE")


def test_unexpected_xml_encoding(base: Path, tmp_path: Path) -> None:
    data = b'<?xml version="1.0" encoding="cp037"?><x/>'
    path = rewrite(base, tmp_path / "ebcdic.xlsx", extra={"docProps/custom.xml": data})
    issue = only_fatal(run(path), "FILE_HOSTILE")
    assert "encodage" in param(issue, "reason")


# --------------------------------------------------------------------------- huge ranges and texts


def test_cell_at_xfd1048576(base: Path, tmp_path: Path) -> None:
    cell = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'
    path = rewrite(base, tmp_path / "far.xlsx", {SHEET: in_sheet_data(cell)})
    issue = only_fatal(run(path), "FILE_HOSTILE")
    assert param(issue, "reason") == "plage démesurée (XFD1048576)"
    assert issue.sheet == "Contrats"


def test_wide_but_reasonable_sheet_is_accepted(base: Path, tmp_path: Path) -> None:
    cells = b'<row r="40000"><c r="CV40000"><v>1</v></c></row>'  # 40,000 x 100 = 4 M cells
    path = rewrite(base, tmp_path / "wide.xlsx", {SHEET: in_sheet_data(cells)})
    assert run(path).fatal == []


def test_cells_without_reference_are_placed_by_position(base: Path, tmp_path: Path) -> None:
    row = b'<row r="1048576">' + b"<c><v>1</v></c>" * 100 + b"</row>"
    path = rewrite(base, tmp_path / "implicit.xlsx", {SHEET: in_sheet_data(row)})
    assert "plage démesurée" in only_fatal(run(path), "FILE_HOSTILE").message


def test_prefixed_namespace_sheet(base: Path, tmp_path: Path) -> None:
    sheet = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
        b'<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
        b"</x:sheetData></x:worksheet>"
    )
    path = rewrite(base, tmp_path / "prefixed.xlsx", {SHEET: sheet})
    only_fatal(run(path), "FILE_HOSTILE")


def test_declared_dimension(base: Path, tmp_path: Path) -> None:
    def huge(data: bytes) -> bytes:
        start = data.index(b"<dimension")
        end = data.index(b">", start) + 1
        return data[:start] + b'<dimension ref="A1:XFD1048576"/>' + data[end:]

    path = rewrite(base, tmp_path / "dim.xlsx", {SHEET: huge})
    # by default the declaration is not trusted either way: the cells are scanned
    assert run(path).fatal == []
    issue = only_fatal(run(path, Limits(check_dimension=True)), "FILE_HOSTILE")
    assert param(issue, "reason") == "plage déclarée démesurée (XFD1048576)"


def test_shared_string_of_40000_characters(base: Path, tmp_path: Path) -> None:
    sst = shared_strings(SECRET.encode() + "é".encode() * (40_000 - len(SECRET)))
    path = rewrite(base, tmp_path / "long.xlsx", extra={"xl/sharedStrings.xml": sst})
    issue = only_fatal(run(path), "VALUE_TOO_LONG")
    assert param(issue, "length") == "40 000"
    assert "40 000 caractères" in issue.message


def test_inline_string_of_40000_characters(base: Path, tmp_path: Path) -> None:
    # openpyxl truncates long strings when writing: inject the cell in the XML.
    text = SECRET.encode() + b"x" * (40_000 - len(SECRET))
    cell = b'<row r="40"><c r="B40" t="inlineStr"><is><t>' + text + b"</t></is></c></row>"
    path = rewrite(base, tmp_path / "inline.xlsx", {SHEET: in_sheet_data(cell)})
    issue = only_fatal(run(path), "VALUE_TOO_LONG")
    assert (issue.sheet, issue.row, param(issue, "cell")) == ("Contrats", 40, "B40")
    assert param(issue, "length") == "40 000"


def test_text_in_cdata_is_measured(base: Path, tmp_path: Path) -> None:
    sst = shared_strings(b"<![CDATA[" + b"a<" * 20_000 + b"]]>")
    path = rewrite(base, tmp_path / "cdata.xlsx", extra={"xl/sharedStrings.xml": sst})
    only_fatal(run(path), "VALUE_TOO_LONG")


def test_run_without_markup_over_a_mebibyte_in_cell_data(base: Path, tmp_path: Path) -> None:
    sst = shared_strings(base64.b64encode(os.urandom(3 << 20)))  # incompressible
    path = rewrite(base, tmp_path / "huge.xlsx", extra={"xl/sharedStrings.xml": sst})
    assert only_fatal(run(path), "FILE_HOSTILE").sheet is None


# --------------------------------------------------------------------------- located findings


def test_formula_without_cached_value(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Contrats"
    ws["A1"] = "Heures"
    ws["C12"] = "=SUM(A1:A2)"  # openpyxl saves formulas without a cached value
    path = tmp_path / "formule.xlsx"
    wb.save(path)
    result = run(path)
    assert result.fatal == []
    assert [(i.code, i.sheet, i.row, param(i, "cell")) for i in result.issues] == [
        ("VALUE_FORMULA_NO_CACHE", "Contrats", 12, "C12")
    ]
    assert result.issues[0].message == ("La cellule C12 contient une formule sans valeur calculée.")


def test_formulas_with_cached_values_are_fine(base: Path, tmp_path: Path) -> None:
    cells = (
        b'<row r="40"><c r="A40"><f>SUM(C2:C3)</f><v>305.34</v></c>'
        b'<c r="B40" t="str"><f>""</f><v></v></c>'  # cached empty string
        b'<c r="C40"><f t="shared" ref="C40:C41" si="0">A40</f><v>1</v></c></row>'
    )
    path = rewrite(base, tmp_path / "cached.xlsx", {SHEET: in_sheet_data(cells)})
    result = run(path)
    assert result.fatal == [] and result.issues == []


def test_error_cells(base: Path, tmp_path: Path) -> None:
    cells = (
        b'<row r="3"><c r="B3" t="e"><v>#N/A</v></c></row>'
        b'<row r="50"><c r="D50" s="1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        b'<c r="E50" t="e"><v>' + SECRET.encode() + b"</v></c></row>"
    )
    path = rewrite(base, tmp_path / "errors.xlsx", {SHEET: in_sheet_data(cells)})
    result = run(path)
    assert result.fatal == []
    found = [(i.code, i.sheet, i.row, i.value, param(i, "cell")) for i in result.issues]
    assert found == [
        ("VALUE_EXCEL_ERROR", "Contrats", 3, "#N/A", "B3"),
        ("VALUE_EXCEL_ERROR", "Contrats", 50, "#DIV/0!", "D50"),
        ("VALUE_EXCEL_ERROR", "Contrats", 50, "#ERREUR", "E50"),
    ]
    assert result.issues[0].message == "La cellule contient une erreur Excel « #N/A »."


def test_issues_are_capped(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in range(1, 21):
        ws.cell(row=row, column=1, value="=1+1")
    path = tmp_path / "many.xlsx"
    wb.save(path)
    result = run(path, Limits(max_issues=5))
    assert len(result.issues) == 5 and result.suppressed == 15
    assert [i.row for i in result.issues] == [1, 2, 3, 4, 5]


# --------------------------------------------------------------------------- OLE2 containers


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal but well-formed compound file (v3, 512-byte sectors, no mini stream)."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    fat = [fat_sector, end]  # sector 0: the FAT, sector 1: the directory
    body = b""
    entries = [("Root Entry", 5, end, 0)]
    for name, data in streams.items():
        data = data.ljust(max(4096, -(-len(data) // 512) * 512), b"\x00")
        first = len(fat)
        count = len(data) // 512
        fat.extend(range(first + 1, first + count))
        fat.append(end)
        entries.append((name, 2, first, len(data)))
        body += data
    assert len(entries) <= 4 and len(fat) <= 128
    directory = b""
    for index, (name, kind, start, size) in enumerate(entries):
        encoded = (name + "\x00").encode("utf-16-le")
        child = 1 if index == 0 and len(entries) > 1 else free
        right = index + 1 if 0 < index < len(entries) - 1 else free
        directory += (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<LLL", free, right, child)
            + b"\x00" * 36
            + struct.pack("<LQ", start, size)
        )
    directory = directory.ljust(512, b"\x00")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 10
        + struct.pack("<LLLLLLLLL", 1, 1, 0, 4096, end, 0, end, 0, 0)
    )
    header += struct.pack("<108L", *([free] * 108))
    assert len(header) == 512
    fat_bytes = struct.pack(f"<{len(fat)}L", *fat).ljust(512, b"\xff")
    return header + fat_bytes + directory + body


BOF = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHLL", 0x0600, 5, 0x0DBB, 0x07CC, 0, 6)
FILEPASS = struct.pack("<HH", 0x002F, 6) + b"\x01\x00" + b"\x00" * 4


def test_encrypted_xlsx_crafted_bytes(tmp_path: Path) -> None:
    path = tmp_path / "protege.xlsx"
    # Not a valid compound file: only the magic and the stream name in UTF-16LE.
    name = "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + name)
    result = run(path)
    assert result.format == "xlsx"
    only_fatal(result, "FILE_ENCRYPTED")
    assert result.issues == []


def test_encrypted_xlsx_compound_file(tmp_path: Path) -> None:
    path = tmp_path / "protege.xlsx"
    path.write_bytes(cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"x"}))
    result = run(path)
    assert result.format == "xlsx"
    only_fatal(result, "FILE_ENCRYPTED")
    assert sniff_format(path) == "xlsx"


def test_legacy_xls(tmp_path: Path) -> None:
    plain = tmp_path / "ancien.xls"
    plain.write_bytes(cfb({"Workbook": BOF + struct.pack("<HH", 0x000A, 0)}))
    result = run(plain)
    assert (result.format, result.fatal, result.issues) == ("xls", [], [])
    locked = tmp_path / "verrouille.xls"
    locked.write_bytes(cfb({"Workbook": BOF + FILEPASS}))
    result = run(locked)
    assert result.format == "xls"
    only_fatal(result, "FILE_ENCRYPTED")


def test_other_compound_file_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "lettre.xls"
    path.write_bytes(cfb({"WordDocument": b"\xec\xa5"}))
    result = run(path)
    assert result.format == "unknown"
    only_fatal(result, "FILE_FORMAT_UNKNOWN")


def test_encrypted_ods(tmp_path: Path) -> None:
    path = tmp_path / "export.ods"
    pd.DataFrame({"Nom": ["A"]}).to_excel(path, engine="odf", index=False)

    def encrypt(data: bytes) -> bytes:
        entry = b'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        return data.replace(
            entry,
            entry[:-2] + b"><manifest:encryption-data/></manifest:file-entry>",
        )

    locked = rewrite(path, tmp_path / "locked.ods", {"META-INF/manifest.xml": encrypt})
    only_fatal(run(locked), "FILE_ENCRYPTED")


# --------------------------------------------------------------------------- robustness


def test_sheet_disguised_as_an_image_is_still_scanned(base: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(base) as zf:
        sheet = zf.read(SHEET)
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    rels = {"xl/_rels/workbook.xml.rels": lambda d: d.replace(b"sheet1.xml", b"sheet1.png")}
    extra = {"xl/worksheets/sheet1.png": sheet.replace(b"</sheetData>", far)}
    path = rewrite(base, tmp_path / "disguised.xlsx", rels, extra=extra)
    assert "plage démesurée" in only_fatal(run(path), "FILE_HOSTILE").message
    image = {"xl/media/image1.png": b"\n<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"}
    path = rewrite(base, tmp_path / "image.xlsx", extra=image)
    only_fatal(run(path), "FILE_HOSTILE")
    real = {"xl/media/image1.png": b"\x89PNG\r\n\x1a\n" + os.urandom(2000)}
    assert run(rewrite(base, tmp_path / "png.xlsx", extra=real)).fatal == []


def test_large_clean_sheet_across_many_chunks(base: Path, tmp_path: Path) -> None:
    rows = [
        b'<row r="%d">' % r
        + b"".join(b'<c r="%s%d" t="n"><v>%d</v></c>' % (c, r, r) for c in (b"A", b"B", b"C"))
        + (b'<c r="D%d"><f>A%d*2</f><v>%d</v></c>' % (r, r, 2 * r))
        + b"</row>"
        for r in range(2, 40_000)
    ]
    rows[15_000] = rows[15_000].replace(b"<v>30004</v>", b"")  # row 15002 loses its value
    data = b"".join(rows)
    assert len(data) > 4 * (1 << 20)

    def replace_data(sheet: bytes) -> bytes:
        start = sheet.index(b"<sheetData>") + len(b"<sheetData>")
        return sheet[:start] + data + sheet[sheet.index(b"</sheetData>") :]

    path = rewrite(base, tmp_path / "large.xlsx", {SHEET: replace_data})
    result = run(path)
    assert result.fatal == []
    assert [(i.code, i.row, param(i, "cell")) for i in result.issues] == [
        ("VALUE_FORMULA_NO_CACHE", 15_002, "D15002")
    ]


def test_ods_formula_without_value_and_error_cell(tmp_path: Path) -> None:
    path = tmp_path / "export.ods"
    pd.DataFrame({"Nom": ["A"]}).to_excel(path, engine="odf", index=False, sheet_name="Suivi")
    row = (
        b'<table:table-row><table:table-cell table:formula="of:=[.A1]"/>'
        b'<table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0" '
        b'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
        b"</table:table-row>"
    )
    edit = {"content.xml": lambda d: d.replace(b"</table:table>", row + b"</table:table>")}
    result = run(rewrite(path, tmp_path / "f.ods", edit))
    assert result.fatal == []
    found = [(i.code, i.sheet, i.row, i.value, param(i, "cell")) for i in result.issues]
    assert found == [
        ("VALUE_FORMULA_NO_CACHE", "Suivi", 3, None, "A3"),
        ("VALUE_EXCEL_ERROR", "Suivi", 3, "#DIV/0!", "B3"),
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_named_pipe_is_not_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "export.xlsx"
    os.mkfifo(pipe)
    assert "ordinaire" in only_fatal(run(pipe), "FILE_UNREADABLE").message
    assert sniff_format(pipe) == "unknown"


def test_mutated_files_never_raise(base: Path, tmp_path: Path) -> None:
    """Random damage to the XML or to the bytes: preflight answers, quickly, without raising."""
    import random

    rng = random.Random(20251125)
    ods = tmp_path / "seed.ods"
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_excel(ods, engine="odf", index=False)
    tokens = [
        b"<", b">", b'"', b"<c>", b'<c r="A', b"<f>", b"<v/>", b"<row>", b'<row r="9999999999">',
        b'<c r="B2" t="e"><v>#N/A</v></c>', b"<![CDATA[", b"&#0;", b'<dimension ref="',
        b'table:number-columns-repeated="99999999999999"', b"<table:table-cell>", b"\x00",
    ]  # fmt: skip
    seeds = []
    for source in (base, ods):
        with zipfile.ZipFile(source) as zf:
            seeds.append([(i.filename, zf.read(i.filename)) for i in zf.infolist()])
    for n in range(150):
        members = seeds[n % 2]
        path = tmp_path / ("m.xlsx" if n % 2 == 0 else "m.ods")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                mutated = bytearray(data)
                if name.endswith(".xml") and rng.random() < 0.5:
                    for _ in range(rng.randint(1, 8)):
                        pos = rng.randrange(len(mutated) + 1)
                        mutated[pos:pos] = rng.choice(tokens)
                zf.writestr(name, bytes(mutated))
        if n % 5 == 0:  # damage the container too
            raw = bytearray(path.read_bytes())
            for _ in range(4):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            path.write_bytes(bytes(raw))
        result = run(path)
        assert result.format in ("xlsx", "ods", "unknown")
        assert all(i.severity == "error" for i in result.fatal if i.code != "FILE_LOCK_SKIPPED")


def test_cached_value_split_from_its_formula_by_a_chunk_boundary(
    base: Path, tmp_path: Path
) -> None:
    from clausekit.preflight.containers import (
        CHUNK,  # the scan reads stored members in chunks of this size
    )

    with zipfile.ZipFile(base) as zf:
        sheet = zf.read(SHEET)
    start = sheet.index(b"</sheetData>")
    formula = b'<row r="500"><c r="D500"><f>A1*2</f><v>4</v></c><c r="E500" t="e"><v>#REF!</v>'
    for split in (formula.index(b"<v>4") + 2, formula.index(b"<v>#") + 2):
        padding = b" " * (CHUNK - start - split)  # whitespace between elements is allowed
        data = sheet[:start] + padding + formula + b"</c></row>" + sheet[start:]
        path = tmp_path / f"split{split}.xlsx"
        with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w") as zout:
            for info in zin.infolist():
                content = data if info.filename == SHEET else zin.read(info.filename)
                zout.writestr(info.filename, content, compress_type=zipfile.ZIP_STORED)
        result = run(path)
        assert result.fatal == []
        assert [(i.code, i.value, param(i, "cell")) for i in result.issues] == [
            ("VALUE_EXCEL_ERROR", "#REF!", "E500")
        ]


def test_unusual_compression_and_zip_encryption(base: Path, tmp_path: Path) -> None:
    bz2 = tmp_path / "bz2.xlsx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(bz2, "w") as zout:
        for info in zin.infolist():
            method = zipfile.ZIP_BZIP2 if info.filename == SHEET else zipfile.ZIP_DEFLATED
            zout.writestr(info.filename, zin.read(info.filename), compress_type=method)
    assert "compression" in only_fatal(run(bz2), "FILE_UNREADABLE").message

    locked = rewrite(base, tmp_path / "zipcrypto.xlsx")
    data = bytearray(locked.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # set the "encrypted" flag of every member in the central directory
        data[pos + 8] |= 0x1
        pos = data.find(b"PK\x01\x02", pos + 4)
    locked.write_bytes(bytes(data))
    only_fatal(run(locked), "FILE_ENCRYPTED")
