"""Reliability: every file gets a truthful outcome, output faults are the user's to fix,
outputs are readable by colleagues, masked reports identify nobody, no process is left.

Each kind of file that real spreadsheets from other projects' test suites showed to be
mishandled is rebuilt here, small and synthetic, in tmp_path."""

from __future__ import annotations

import codecs
import os
import pickle
import re
import struct
import time
import zipfile
from pathlib import Path

import pytest

from clausekit.consolidate import check, consolidate
from clausekit.errors import ExitCode, InputError, NoTableError
from clausekit.pipeline.read import FileRead, ReadLimits, Source, _excel_result, _finish, _Job
from clausekit.pipeline.worker import reader_context
from clausekit.preflight import preflight
from tests.conftest import CONTRACT_HEADER, write_xlsx

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKSHEET_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def package(path: Path, parts: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def workbook_xml(sheets: list[tuple[str, str]]) -> bytes:
    """workbook.xml naming (sheet name, relationship id) pairs."""
    tags = b"".join(
        f'<sheet name="{name}" sheetId="{i}" r:id="{rid}"/>'.encode()
        for i, (name, rid) in enumerate(sheets, 1)
    )
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b"<sheets>" + tags + b"</sheets></workbook>"
    )


def workbook_rels(targets: dict[str, tuple[bytes, str]]) -> bytes:
    tags = b"".join(
        f'<Relationship Id="{rid}" Type="{kind.decode()}" Target="{target}"/>'.encode()
        for rid, (kind, target) in targets.items()
    )
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + tags
        + b"</Relationships>"
    )


def sheet_xml(rows: list[list[str]], dimension: str | None = None) -> bytes:
    """A worksheet of inline strings (no shared strings part needed)."""
    body = b""
    for r, row in enumerate(rows, 1):
        cells = b"".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'.encode()
            for c, v in enumerate(row)
        )
        body += f'<row r="{r}">'.encode() + cells + b"</row>"
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + dim
        + b"<sheetData>"
        + body
        + b"</sheetData></worksheet>"
    )


# Two contract rows of one participant, whose hours are added up by hand below: 35 + 70.
CONTRACT_ROWS = [
    ["P100", "C1", "OP1", "Entreprise A", "CDI", "06/01/2025", "28/02/2025", "01/2025", "35"],
    ["P100", "C1", "OP1", "Entreprise A", "CDI", "06/01/2025", "28/02/2025", "02/2025", "70"],
]
CONTRACT_SHEET = sheet_xml([CONTRACT_HEADER, *CONTRACT_ROWS])


def one_sheet_package(path: Path, sheet: bytes, folder: str = "xl", sep: str = "/") -> Path:
    """An xlsx holding one worksheet, its parts in ``folder`` and named with ``sep``."""
    rels = workbook_rels({"rId1": (WORKSHEET_REL, "worksheets/sheet1.xml")})

    def name(part: str) -> str:
        return part.replace("/", sep)

    return package(
        path,
        {
            "[Content_Types].xml": CONTENT_TYPES.replace(b"/xl/", f"/{folder}/".encode()),
            name("_rels/.rels"): ROOT_RELS.replace(b'"xl/', f'"{folder}/'.encode()),
            name(f"{folder}/workbook.xml"): workbook_xml([("Contrats", "rId1")]),
            name(f"{folder}/_rels/workbook.xml.rels"): rels,
            name(f"{folder}/worksheets/sheet1.xml"): sheet,
        },
    )


def codes_of(result: object, file: Path) -> list[str]:
    return [i.code for i in result.issues if i.file == str(file)]  # type: ignore[attr-defined]


def no_table_message(result: object, file: Path) -> str:
    [issue] = [i for i in result.issues if i.code == "FILE_NO_TABLE"]  # type: ignore[attr-defined]
    assert issue.file == str(file)
    return issue.message


# --------------------------------------------------------------------------- no table here


def test_workbook_whose_sheets_are_all_empty_is_not_silent(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "vide.xlsx", {"Feuil1": [], "Feuil2": []})
    result = check([path])
    assert codes_of(result, path) == ["FILE_NO_TABLE"]
    assert "(ses feuilles sont vides)" in no_table_message(result, path)
    assert result.exit_code() == ExitCode.DATA_ISSUES
    assert result.unreadable == []


def test_workbook_with_zero_sheets(tmp_path: Path) -> None:
    path = package(
        tmp_path / "sans_feuille.xlsx",
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": ROOT_RELS,
            "xl/workbook.xml": workbook_xml([]),
            "xl/_rels/workbook.xml.rels": workbook_rels({}),
        },
    )
    result = check([path])
    assert codes_of(result, path) == ["FILE_NO_TABLE"]
    assert "(le fichier ne contient aucune feuille)" in no_table_message(result, path)
    assert result.exit_code() == ExitCode.DATA_ISSUES


def test_sheet_of_error_cells_only(tmp_path: Path) -> None:
    cells = b'<row r="1"><c r="A1" t="e"><v>#N/A</v></c><c r="B1" t="e"><v>#VALUE!</v></c></row>'
    sheet = CONTRACT_SHEET.replace(
        b"<sheetData>" + CONTRACT_SHEET.split(b"<sheetData>")[1].split(b"</sheetData>")[0],
        b"<sheetData>" + cells,
    )
    path = one_sheet_package(tmp_path / "erreurs.xlsx", sheet)
    result = check([path])
    assert codes_of(result, path) == ["FILE_NO_TABLE"]
    assert "cellules en erreur" in no_table_message(result, path)


def test_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "vide.csv"
    path.write_bytes(b"\r\n\r\n")
    result = check([path])
    assert codes_of(result, path) == ["FILE_NO_TABLE"]
    assert "(il est vide)" in no_table_message(result, path)


def test_a_file_without_table_next_to_good_ones_is_named(tmp_path: Path) -> None:
    good = one_sheet_package(tmp_path / "Lens" / "contrats.xlsx", CONTRACT_SHEET)
    empty = write_xlsx(tmp_path / "Artois" / "contrats.xlsx", {"Feuil1": []})
    result = check([tmp_path])
    assert [s["rows_accepted"] for s in result.sources] == [2]
    assert codes_of(result, empty) == ["FILE_NO_TABLE"]
    assert codes_of(result, good) == []
    assert result.exit_code() == ExitCode.DATA_ISSUES  # the missing territory is not silent


def test_consolidate_of_a_file_without_table_exits_1_naming_it(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "vide.xlsx", {"Feuil1": []})
    with pytest.raises(NoTableError) as caught:
        consolidate([path], tmp_path / "out")
    assert caught.value.exit_code == ExitCode.DATA_ISSUES
    assert str(path) in str(caught.value)
    assert "Aucun rapport écrit." in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_consolidate_of_a_mistyped_folder_says_not_found(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        consolidate([tmp_path / "exprots"], tmp_path / "out")
    assert f"{tmp_path / 'exprots'} : Fichier ou dossier introuvable." in str(caught.value)
    assert caught.value.exit_code == ExitCode.UNREADABLE


def test_consolidate_of_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    with pytest.raises(InputError) as caught:
        consolidate([tmp_path / "exports"], tmp_path / "out")
    assert str(caught.value) == (
        f"Aucun export (.xlsx, .xls, .ods, .csv) trouvé dans {tmp_path / 'exports'}."
    )


# --------------------------------------------------------------------------- odd packages


def test_bogus_dimension_on_a_small_sheet_is_read(tmp_path: Path) -> None:
    sheet = sheet_xml([CONTRACT_HEADER, *CONTRACT_ROWS], dimension="A1:XFD1048576")
    path = one_sheet_package(tmp_path / "dimension.xlsx", sheet)
    result = check([path])
    assert result.unreadable == []
    assert [(s["rows_read"], s["rows_accepted"]) for s in result.sources] == [(2, 2)]


def test_backslash_part_names_are_read(tmp_path: Path) -> None:
    path = one_sheet_package(tmp_path / "windows.xlsx", CONTRACT_SHEET, sep="\\")
    with zipfile.ZipFile(path) as archive:
        assert "xl\\workbook.xml" in archive.namelist()  # the test builds what it means to
    result = check([path])
    assert result.unreadable == [], [i.message for i in result.issues]
    assert [s["rows_accepted"] for s in result.sources] == [2]


def test_workbook_part_in_another_folder_is_read(tmp_path: Path) -> None:
    path = one_sheet_package(tmp_path / "ailleurs.xlsx", CONTRACT_SHEET, folder="classeur")
    result = check([path])
    assert result.unreadable == [], [i.message for i in result.issues]
    assert [s["rows_accepted"] for s in result.sources] == [2]


def utf16_package(path: Path, sheet: bytes, codec: str) -> Path:
    """An xlsx whose every XML part is in UTF-16 with a byte-order mark, saying so in its
    declaration, as a Windows Phone Excel saves it."""
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[codec]
    plain = one_sheet_package(path.with_suffix(".utf8.xlsx"), sheet)
    with zipfile.ZipFile(plain) as archive:
        parts = {n: archive.read(n).decode("utf-8") for n in archive.namelist()}
    plain.unlink()
    assert all('encoding="UTF-8"' in text for text in parts.values())
    return package(
        path,
        {n: bom + t.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode(codec)
         for n, t in parts.items()},
    )  # fmt: skip


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_workbook_in_utf16_is_read(tmp_path: Path, codec: str) -> None:
    rows = [[c.replace("Entreprise A", "Société Élan") for c in row] for row in CONTRACT_ROWS]
    sheet = sheet_xml([CONTRACT_HEADER, *rows])
    path = utf16_package(tmp_path / "Lens" / "telephone.xlsx", sheet, codec)
    with zipfile.ZipFile(path) as archive:  # the test builds what it means to
        assert archive.read("xl/workbook.xml")[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    result = check([path])
    assert result.unreadable == [], [i.message for i in result.issues]
    assert [s["rows_accepted"] for s in result.sources] == [2]
    [contracts] = [v.tables["contrats"] for v in result.validated]
    assert list(contracts["entreprise"]) == ["Société Élan", "Société Élan"]
    _, hours = hours_warnings([path])
    assert hours == 35 + 70


def test_sheet_without_part_and_macro_sheet_do_not_hide_the_worksheet(tmp_path: Path) -> None:
    macro = b"http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet"
    rels = workbook_rels(
        {
            "rId1": (WORKSHEET_REL, "worksheets/sheet1.xml"),
            "rId2": (macro, "macrosheets/sheet1.xml"),
        }
    )
    path = package(
        tmp_path / "macros.xlsm",
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": ROOT_RELS,
            "xl/workbook.xml": workbook_xml([("Contrats", "rId1"), ("Macro1", "rId2"), (" ", "")]),
            "xl/_rels/workbook.xml.rels": rels,
            "xl/worksheets/sheet1.xml": CONTRACT_SHEET,
            "xl/macrosheets/sheet1.xml": sheet_xml([["x"]]).replace(b"worksheet", b"xm:macrosheet"),
        },
    )
    result = check([path])
    assert result.unreadable == [], [i.message for i in result.issues]
    assert [(s["sheet"], s["rows_accepted"]) for s in result.sources] == [("Contrats", 2)]


def test_xlsb_says_what_it_is(tmp_path: Path) -> None:
    path = package(
        tmp_path / "binaire.xlsb",
        {"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.bin": b"\x83\x01\x00"},
    )
    result = check([path])
    [issue] = result.issues
    assert (issue.code, issue.file) == ("FILE_FORMAT_UNSUPPORTED", str(path))
    assert issue.message == "Classeur Excel binaire (.xlsb) : ce format n'est pas lu par clausekit."
    assert result.exit_code() == ExitCode.UNREADABLE


@pytest.mark.parametrize(
    ("bof", "kind"),
    [
        (b"\x09\x00\x04\x00\x02\x00\x10\x00", "Excel 2.x (BIFF2)"),
        (b"\x09\x02\x06\x00\x00\x00\x10\x00\x00\x00", "Excel 3.0 (BIFF3)"),
        (b"\x09\x04\x06\x00\x00\x00\x10\x00\x00\x00", "Excel 4.0 (BIFF4)"),
    ],
)
def test_old_excel_formats_say_what_they_are(tmp_path: Path, bof: bytes, kind: str) -> None:
    path = tmp_path / "ancien.xls"
    path.write_bytes(bof + b"\x0a\x00\x00\x00")  # BOF, then EOF
    [issue] = preflight(path).fatal
    assert issue.code == "FILE_FORMAT_UNSUPPORTED"
    assert issue.message == f"Classeur {kind} : ce format n'est pas lu par clausekit."


# --------------------------------------------------------------------------- compound files

END, FREE, FAT_SECTOR = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
BOF8 = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHLL", 0x0600, 5, 0x0DBB, 0x07CC, 0, 6)
FILEPASS = struct.pack("<HH", 0x002F, 6) + b"\x01\x00" + b"\x00" * 4
EOF = struct.pack("<HH", 0x000A, 0)


def small_stream_cfb(name: str, stream: bytes) -> bytes:
    """A compound file whose one stream is under 4,096 bytes: kept in the mini stream, as
    Excel does for a small workbook. Sectors: 0 FAT, 1 directory, 2 mini FAT, 3 mini data."""
    stream = stream.ljust(-(-len(stream) // 64) * 64, b"\0")
    count = len(stream) // 64
    assert count <= 8  # one sector of mini stream
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    # FAT sectors, first directory sector, transaction, cutoff, first mini FAT sector, mini
    # FAT sectors, first DIFAT sector, DIFAT sectors; then the DIFAT: the FAT is sector 0
    struct.pack_into("<LLLLLLLL", header, 44, 1, 1, 0, 4096, 2, 1, END, 0)
    struct.pack_into("<109L", header, 76, 0, *([FREE] * 108))
    fat = struct.pack("<128L", FAT_SECTOR, END, END, END, *([FREE] * 124))
    minifat = struct.pack("<128L", *range(1, count), END, *([FREE] * (128 - count)))
    entries = b""
    for entry_name, kind, start, size, child in (
        ("Root Entry", 5, 3, len(stream), 1),
        (name, 2, 0, len(stream), FREE),
    ):
        raw = bytearray(128)
        encoded = entry_name.encode("utf-16-le") + b"\0\0"
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<LLL", raw, 68, FREE, FREE, child)
        struct.pack_into("<LQ", raw, 116, start, size)
        entries += raw
    return bytes(header) + fat + entries.ljust(512, b"\0") + minifat + stream.ljust(512, b"\0")


def test_small_encrypted_xls_is_called_protected(tmp_path: Path) -> None:
    path = tmp_path / "protege.xls"
    path.write_bytes(small_stream_cfb("Workbook", BOF8 + FILEPASS + EOF))
    result = check([path])
    assert [(i.code, i.message) for i in result.issues] == [
        ("FILE_ENCRYPTED", "Le classeur est protégé par mot de passe.")
    ]
    assert result.exit_code() == ExitCode.UNREADABLE


def test_small_plain_xls_is_not_called_protected(tmp_path: Path) -> None:
    path = tmp_path / "simple.xls"
    path.write_bytes(small_stream_cfb("Workbook", BOF8 + EOF))
    check_ = preflight(path)
    assert (check_.format, check_.fatal) == ("xls", [])


def test_xls_stream_named_in_capitals_is_an_xls(tmp_path: Path) -> None:
    path = tmp_path / "majuscules.xls"
    path.write_bytes(small_stream_cfb("BOOK", BOF8 + EOF))
    check_ = preflight(path)
    assert (check_.format, check_.fatal) == ("xls", [])
    locked = tmp_path / "majuscules_protege.xls"
    locked.write_bytes(small_stream_cfb("BOOK", BOF8 + FILEPASS + EOF))
    assert [i.code for i in preflight(locked).fatal] == ["FILE_ENCRYPTED"]


# --------------------------------------------------------------------------- reader failures

RAW_TEXT = re.compile(r"Error|Exception|calamine|fastexcel|Context", re.I)


class FakePanic(BaseException):
    """What pyo3 raises for a Rust panic: a BaseException, not an Exception."""


class Pipe:
    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, value: object) -> None:
        self.sent.append(value)

    def close(self) -> None:
        pass


def test_a_reader_panic_is_an_unreadable_file_not_a_time_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clausekit.pipeline import worker as sheetreader

    def panic(content: bytes, locate: set[str]) -> list[object]:
        raise FakePanic("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(sheetreader, "_confine", lambda memory_mb: None)
    monkeypatch.setattr(sheetreader, "_parse", panic)
    path = one_sheet_package(tmp_path / "panique.xlsx", CONTRACT_SHEET)
    pipe = Pipe()
    sheetreader.read_workbook(pipe, str(path), 1024, ReadLimits().safety)  # type: ignore[arg-type]
    [outcome] = pipe.sent
    source = Source(path, str(path), "x")
    file = _excel_result(source, 0, outcome, ReadLimits())  # type: ignore[arg-type]
    [issue] = file.issues
    assert issue.code == "FILE_UNREADABLE"
    assert issue.message == (
        "Le fichier n'a pas pu être lu : le lecteur de classeurs a rencontré une structure "
        "qu'il ne sait pas lire."
    )
    assert not RAW_TEXT.search(issue.message)


def test_a_reader_that_dies_is_not_reported_as_a_time_out(tmp_path: Path) -> None:
    import os

    path = one_sheet_package(tmp_path / "meurt.xlsx", CONTRACT_SHEET)
    parent, child = reader_context().Pipe(duplex=False)
    process = reader_context().Process(target=os._exit, args=(1,), daemon=True)
    process.start()
    child.close()
    source = Source(path, str(path), "x")
    job = _Job(source, process, parent, time.monotonic())
    limits = ReadLimits(seconds=600)
    outcome = _finish(job, limits)
    assert outcome == ("crashed", None)
    file: FileRead = _excel_result(source, 0, outcome, limits)
    [issue] = file.issues
    assert issue.code == "FILE_UNREADABLE"
    assert "s'est arrêté brutalement" in issue.message
    assert file.unreadable


def test_a_file_calamine_cannot_open_gets_a_french_reason(tmp_path: Path) -> None:
    """A compound file with a Workbook stream that is no BIFF: the parser fails."""
    path = tmp_path / "casse.xls"
    path.write_bytes(small_stream_cfb("Workbook", b"\x01\x02\x03\x04" * 16))
    result = check([path])
    [issue] = result.issues
    assert issue.code == "FILE_UNREADABLE"
    assert not RAW_TEXT.search(issue.message), issue.message
    assert issue.message.startswith("Le fichier n'a pas pu être lu : ")


# --------------------------------------------------------------------------- outputs

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def small_export(folder: Path) -> Path:
    return one_sheet_package(folder / "Lens" / "contrats.xlsx", CONTRACT_SHEET)


def report_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_output_path_that_is_a_file_is_a_user_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from clausekit.cli import app

    small_export(tmp_path / "in")
    target = tmp_path / "rapport.txt"
    target.write_text("déjà là")
    result = CliRunner().invoke(app, ["consolidate", str(tmp_path / "in"), "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert f"Erreur : « {target} » n'est pas un dossier" in result.output
    assert "interne" not in result.output
    assert target.read_text() == "déjà là"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PermissionError(13, "Permission denied"), "Écriture refusée dans"),
        (OSError(28, "No space left on device"), "Disque plein : le rapport n'a pas pu être écrit"),
    ],
)
def test_write_failures_leave_the_previous_report_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, expected: str
) -> None:
    from clausekit.errors import OutputError
    from clausekit.output import writers as write

    small_export(tmp_path / "in")
    out = tmp_path / "out"
    consolidate([tmp_path / "in"], out, formats=("xlsx", "json", "csv"))
    before = report_bytes(out)

    def fail(fd: int) -> None:  # the disk fills up (or a right is lost) while writing
        raise error

    monkeypatch.setattr(write.os, "fsync", fail)
    with pytest.raises(OutputError) as caught:
        consolidate([tmp_path / "in"], out, formats=("xlsx", "json", "csv"))
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value).startswith(expected), str(caught.value)
    assert str(caught.value).endswith("Le rapport précédent, s'il y en a un, est intact.")
    assert report_bytes(out) == before  # same files, same bytes, no temporary left


def test_unwritable_folder_through_the_command(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    if os.geteuid() == 0:
        pytest.skip("root writes everywhere")
    small_export(tmp_path / "in")
    locked = tmp_path / "ferme"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "clausekit", "consolidate", str(tmp_path / "in"), "-o",
             str(locked / "rapport")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        locked.chmod(0o700)
    assert done.returncode == 2, done.stderr
    assert "Écriture refusée dans" in done.stderr


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_outputs_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    import os

    small_export(tmp_path / "in")
    out = tmp_path / "out"
    previous = os.umask(umask)
    try:
        result = consolidate([tmp_path / "in"], out, formats=("xlsx", "json", "csv", "markdown"))
    finally:
        os.umask(previous)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == len(result.outputs) > 4
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(mode)}


# --------------------------------------------------------------------------- masked report

PARTICIPANT_IDS = ["PX48213", "PY77305", "PZ99117", "PW31052", "PV20931"]
CONTRACT_IDS = ["CT550172", "CT550288", "CT550391", "CT550404"]


def identified_exports(folder: Path) -> Path:
    """Two territories with every row-level finding: a person under two ids (in one territory,
    and across the two),
    a contract of a participant absent from the participants table, a rejected row."""
    from tests.conftest import PARTICIPANT_HEADER, territory_workbook

    px, py, pz, pw, pv = PARTICIPANT_IDS
    c1, c2, c3, c4 = CONTRACT_IDS
    op = ["OP1", "Travaux", "Ville", "Exécution", "1000"]
    territory_workbook(
        folder,
        "Lens",
        [[px, "MARTIN", "Léa", "12/05/1990", "BRSA"]],
        [
            [px, c1, "OP1", "Entreprise A", "CDI", "06/01/2025", "", "01/2025", "35"],
            [pz, c3, "OP1", "Entreprise A", "CDI", "06/01/2025", "", "01/2025", "20"],
            [px, c4, "OP1", "Entreprise A", "CDI", "06/01/2025", "", "01/2025", "beaucoup"],
        ],
        [op],
    )
    territory_workbook(
        folder,
        "Artois",
        [
            [py, "MARTIN", "Léa", "12/05/1990", "BRSA"],
            [pw, "DURAND", "Paul", "03/03/1985", ""],
            [pv, "DURAND", "Paul", "03/03/1985", ""],  # the same person, twice in Artois
        ],
        [
            [py, c2, "OP1", "Entreprise B", "CDD", "03/02/2025", "", "02/2025", "70"],
            [pw, c2, "OP1", "Entreprise B", "CDD", "03/02/2025", "", "02/2025", "7"],
        ],
        [op],
    )
    assert PARTICIPANT_HEADER[0] == "N° participant"
    return folder


def output_texts(out: Path, skip: tuple[str, ...]) -> dict[str, str]:
    """Every output as text; an xlsx as the text of all its XML parts."""
    texts = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name.startswith(skip):
            continue
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                texts[path.name] = "\n".join(
                    archive.read(n).decode("utf-8") for n in archive.namelist()
                )
        else:
            texts[str(path.relative_to(out))] = path.read_text(encoding="utf-8-sig")
    return texts


def test_a_masked_report_carries_no_identifier_and_no_path(tmp_path: Path) -> None:
    import json

    import jsonschema

    from clausekit.rules.schemas import schemas_dir

    exports = identified_exports(tmp_path / "exports")
    out = tmp_path / "out"
    formats = ("xlsx", "json", "csv", "markdown")
    result = consolidate([exports], out, formats=formats, mask_below=5)
    codes = {i.code for i in result.checked.issues}
    assert {"PERSON_DUPLICATE_SUSPECT", "PARTICIPANT_UNKNOWN", "VALUE_NOT_HOURS"} <= codes
    public = output_texts(out, skip=("annexe-equipe",))
    assert set(public) >= {"rapport.xlsx", "rapport.json", "rapport.md", "tableaux/synthese.csv"}
    assert "rejets.csv" not in public
    for name, text in public.items():
        for secret in [*PARTICIPANT_IDS, *CONTRACT_IDS, str(tmp_path)]:
            assert secret not in text, (name, secret)
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    schema = json.loads((schemas_dir() / "rapport.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    assert {s["file"] for s in report["sources"]} == {"export.xlsx"}
    hours = [i for i in report["issues"] if i["code"] == "VALUE_NOT_HOURS"]
    assert [(i["file"], i["row"], i["value"], i["count"]) for i in hours] == [
        ("export.xlsx", None, None, 1)
    ]
    # the team keeps the detail, in files whose name says where they belong
    annex = {k: v for k, v in output_texts(out, skip=()).items() if k.startswith("annexe")}
    assert set(annex) == {"annexe-equipe.xlsx", "annexe-equipe-rejets.csv"}
    assert "Ne la transmettez pas hors de l'équipe" in annex["annexe-equipe.xlsx"]
    for secret in PARTICIPANT_IDS[1:]:  # the duplicates and the unknown participant
        assert secret in annex["annexe-equipe.xlsx"], secret
    assert str(exports / "Lens" / "export.xlsx") in annex["annexe-equipe-rejets.csv"]


def test_an_unmasked_report_keeps_its_detail_and_no_annex(tmp_path: Path) -> None:
    exports = identified_exports(tmp_path / "exports")
    out = tmp_path / "out"
    consolidate([exports], out, formats=("xlsx", "json"))
    texts = output_texts(out, skip=())
    assert set(texts) == {"bilan.html", "rapport.xlsx", "rapport.json", "rejets.csv"}
    assert PARTICIPANT_IDS[2] in texts["rapport.json"]  # the unknown participant, named


# --------------------------------------------------------------------------- processes


def group_members(pgid: int) -> list[int]:
    """Processes (zombies too) whose process group is ``pgid``, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            members.append(int(entry.name))
    return members


def left_after_exit(pgid: int, seconds: float = 5.0) -> list[int]:
    """The members of the group once clausekit has exited. A reader killed at exit can still
    be, for a moment, a zombie handed to init (dead, not yet reaped by it): wait for init,
    never for a live process (those would still be there after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while (members := group_members(pgid)) and time.monotonic() < deadline:
        if not all(_zombie(pid) for pid in members):
            return members  # a live process of the run: no waiting for it
        time.sleep(0.05)
    return members


def _zombie(pid: int) -> bool:
    """Dead or dying: a zombie, or a process tearing itself down (a killed reader releasing
    its memory: its command line, read from its address space, is already empty)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # gone meanwhile
    return stat[stat.rindex(")") + 2 :].split()[0] in ("Z", "X") or not cmdline


def clausekit_process(*args: str, **kwargs: object) -> object:
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "clausekit", *args],
        start_new_session=True,  # its own process group: the run's processes are its members
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )


pytestmark_linux = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="/proc")


@pytestmark_linux
def test_no_process_of_the_run_is_left_after_it_exits(tmp_path: Path) -> None:
    import subprocess

    small_export(tmp_path / "in")
    write_xlsx(tmp_path / "in" / "Artois" / "vide.xlsx", {"Feuil1": []})
    proc = clausekit_process(
        "consolidate", str(tmp_path / "in"), "-o", str(tmp_path / "out"), stdout=subprocess.PIPE
    )
    _, err = proc.communicate(timeout=120)  # type: ignore[attr-defined]
    assert proc.returncode == 1, err  # type: ignore[attr-defined]
    assert left_after_exit(proc.pid) == []  # type: ignore[attr-defined]


@pytestmark_linux
def test_ctrl_c_stops_the_run_in_french_and_reaps_its_readers(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess

    for territory in ("Lens", "Artois", "Liévin", "Béthune"):
        one_sheet_package(tmp_path / "in" / territory / "contrats.xlsx", CONTRACT_SHEET)
    proc = clausekit_process(
        "consolidate", str(tmp_path / "in"), "-o", str(tmp_path / "out"), stdout=subprocess.PIPE
    )
    pid: int = proc.pid  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while len(group_members(pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)  # until the readers' processes have started
    assert len(group_members(pid)) >= 2
    os.killpg(pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole group
    _, err = proc.communicate(timeout=60)  # type: ignore[attr-defined]
    assert proc.returncode == 130, err  # type: ignore[attr-defined]
    assert err.startswith("Interrompu (Ctrl-C) : clausekit s'est arrêté."), err
    assert "Traceback" not in err
    assert left_after_exit(pid) == []
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


PIPE_CLOSED = (
    "Erreur : sortie coupée (le programme qui la lisait, par exemple head, s'est arrêté avant "
    "la fin) : seul l'affichage est incomplet, les fichiers écrits sont entiers.\n"
)


@pytest.mark.parametrize("format", ["table", "json"])
def test_a_closed_stdout_is_a_user_error_said_in_one_line(tmp_path: Path, format: str) -> None:
    """``clausekit validate … | head -1``: the reader left before the end (here before the
    first line): exit 2 and one French line on stderr, no traceback."""
    import subprocess

    empty = write_xlsx(tmp_path / "vide.xlsx", {"Feuil1": []})  # a verdict of 1 otherwise
    proc = clausekit_process("validate", str(empty), "--format", format, stdout=subprocess.PIPE)
    proc.stdout.close()  # type: ignore[attr-defined]  # gone before the first line
    err = proc.stderr.read()  # type: ignore[attr-defined]
    assert proc.wait(timeout=120) == 2, err  # type: ignore[attr-defined]
    assert err == PIPE_CLOSED


def test_a_closed_stdout_after_consolidate_leaves_the_report_whole(tmp_path: Path) -> None:
    """``clausekit consolidate … | head``: the report, written before the summary is printed,
    is the same, byte for byte, as the one of a run whose output is read to the end."""
    import subprocess

    small_export(tmp_path / "in")
    read = clausekit_process(
        "consolidate", str(tmp_path / "in"), "-o", str(tmp_path / "lu"), stdout=subprocess.PIPE
    )
    printed, err = read.communicate(timeout=120)  # type: ignore[attr-defined]
    assert read.returncode == 0, err  # type: ignore[attr-defined]
    assert "Synthèse" in printed
    cut = clausekit_process(
        "consolidate", str(tmp_path / "in"), "-o", str(tmp_path / "coupe"), stdout=subprocess.PIPE
    )
    cut.stdout.close()  # type: ignore[attr-defined]
    err = cut.stderr.read()  # type: ignore[attr-defined]
    assert cut.wait(timeout=120) == 2, err  # type: ignore[attr-defined]
    assert err == PIPE_CLOSED
    assert report_bytes(tmp_path / "coupe") == report_bytes(tmp_path / "lu")
    assert "rapport.json" in report_bytes(tmp_path / "lu")


# --------------------------------------------------------------------------- implausible values


def test_contract_dates_outside_2000_2100_and_negative_forecast_are_located_errors(
    tmp_path: Path,
) -> None:
    from tests.conftest import territory_workbook

    path = territory_workbook(
        tmp_path,
        "Lens",
        [],
        [
            ["P1", "C1", "OP1", "E", "CDI", "06/01/1999", "", "01/2025", "35"],  # row 2
            ["P1", "C2", "OP1", "E", "CDI", "06/01/2025", "01/01/2101", "01/2025", "7"],  # row 3
            ["P1", "C3", "OP1", "E", "CDI", "06/01/2025", "", "01/2025", "14"],  # row 4
        ],
        [["OP1", "Travaux", "Ville", "Exécution", "-500"]],  # row 2
    )
    result = check([path])
    found = sorted(
        (i.sheet, i.row, i.column, i.code) for i in result.issues if i.code == "VALUE_OUT_OF_RANGE"
    )
    assert found == [
        ("Contrats", 2, "Date de début", "VALUE_OUT_OF_RANGE"),
        ("Contrats", 3, "Date de fin", "VALUE_OUT_OF_RANGE"),
        ("Opérations", 2, "Heures prévisionnelles", "VALUE_OUT_OF_RANGE"),
    ]
    contracts = next(s for s in result.sources if s["sheet"] == "Contrats")
    assert (contracts["rows_accepted"], contracts["rows_rejected"]) == (1, 2)


def hours_warnings(paths: list[Path]) -> tuple[list[object], float]:
    """The HOURS_MONTH_IMPLAUSIBLE issues of a report on ``paths``, and its hours."""
    from clausekit.consolidate import build_report
    from clausekit.rules.schemas import load_spec
    from clausekit.rules.settings import Settings
    from tests.conftest import SECRET

    settings = Settings()
    report, issues = build_report(check(paths), spec=load_spec(), settings=settings, secret=SECRET)
    found = [i for i in issues if i.code == "HOURS_MONTH_IMPLAUSIBLE"]
    return found, report["totals"]["hours_realised"]


def test_over_300_hours_in_one_month_for_one_contract_is_a_located_warning(
    tmp_path: Path,
) -> None:
    from tests.conftest import territory_workbook

    path = territory_workbook(
        tmp_path,
        "Lens",
        [],
        [
            ["P1", "C1", "OP1", "E", "CDI", "06/01/2025", "", "01/2025", "160"],  # row 2
            ["P1", "C1", "OP1", "E", "CDI", "06/01/2025", "", "01/2025", "160"],  # C1: 320 h
            ["P2", "C2", "OP1", "E", "CDI", "06/01/2025", "", "01/2025", "145"],  # row 4
            ["P2", "C2", "OP1", "E", "CDI", "06/01/2025", "", "01/2025", "145"],  # C2: 290 h
            ["P2", "C2", "OP1", "E", "CDI", "06/01/2025", "", "02/2025", "200"],  # another month
            ["P3", "C3", "OP1", "E", "CDI", "06/01/2025", "", "01/2025", "300"],  # 300: not over
        ],
        [["OP1", "Travaux", "Ville", "Exécution", "1000"]],
    )
    found, hours = hours_warnings([path])
    assert hours == 160 + 160 + 145 + 145 + 200 + 300  # counted as given
    [issue] = found
    assert (issue.file, issue.sheet, issue.row, issue.column) == (
        str(path),
        "Contrats",
        2,
        "Heures réalisées",
    )
    assert issue.severity == "warning"
    assert issue.message == (
        "320 h réalisées en 01/2025 pour un même contrat (2 ligne(s) de ce mois, la première "
        "ici) : plus de 300 h dans un mois est invraisemblable. Les heures sont comptées "
        "telles quelles."
    )
    assert not re.search(r"\b[PC]1\b", issue.message)  # no participant or contract id


def test_over_300_hours_counts_a_month_once_across_successive_exports(tmp_path: Path) -> None:
    """January's export and February's re-export both hold C1's 160 h of January: 160 h."""
    row = ["P1", "C1", "OP1", "E", "CDI", "06/01/2025", "", "01/2025", "160"]
    for name in ("export_2025-01.xlsx", "export_2025-02.xlsx"):
        write_xlsx(tmp_path / "Lens" / name, {"Contrats": [CONTRACT_HEADER, row]})
    found, hours = hours_warnings([tmp_path])
    assert hours == 160
    assert found == []


def test_over_300_hours_lists_at_most_1000_contract_months_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    rows = [
        [f"P{n}", f"C{n}", "OP1", "E", "CDI", "06/01/2025", "", "01/2025", "301"]
        for n in range(1002)
    ]
    path = write_xlsx(tmp_path / "Lens" / "export.xlsx", {"Contrats": [CONTRACT_HEADER, *rows]})
    found, _ = hours_warnings([path])
    assert len(found) == 1000
    assert [i.row for i in found] == list(range(2, 1002))  # row 1 is the header
    assert "; 2 autre(s) contrat(s)-mois dépassent aussi 300 h, non listés." in found[-1].message
    assert "autre" not in found[0].message


def test_only_files_of_the_same_size_are_compared_for_copies(tmp_path: Path) -> None:
    import os

    from clausekit.pipeline.read import _drop_identical

    folder = tmp_path / "Lens"
    folder.mkdir()
    contents = {
        "export.csv": b"a;b\n1;2\n",
        "export (1).csv": b"a;b\n1;2\n",  # the same bytes: a copy
        "autre.csv": b"a;b\n1;3\n",  # the same size, other bytes: not a copy
        "long.csv": b"a;b\n1;2\n3;4\n",  # another size: never read here
    }
    for age, (name, data) in enumerate(contents.items()):
        (folder / name).write_bytes(data)
        os.utime(folder / name, (1_700_000_000 - age, 1_700_000_000 - age))
    sources = [Source(folder / name, name, "Lens") for name in contents]
    issues: list = []
    kept = _drop_identical(sources, issues)
    assert [s.display for s in kept] == ["export.csv", "autre.csv", "long.csv"]
    assert [(i.code, i.file) for i in issues] == [("FILE_DUPLICATE", "export (1).csv")]


@pytest.mark.parametrize("shared", [False, True], ids=["raw-pipe", "memory-file"])
def test_sheets_cross_out_of_band_and_a_cut_message_is_a_crash(shared: bool) -> None:
    """The Arrow buffers of the sheets go raw through the pipe after a small header, or (Linux)
    in a memory file whose descriptor follows on the socket: they come back equal; a child
    that dies halfway is EOFError (« crashed »), one that stalls is a time-out at the
    deadline, never a wait without end."""
    import multiprocessing as mp

    import pyarrow as pa

    from clausekit.pipeline import worker

    if not worker.RAW_PIPE or (shared and not worker.SHARED_FILE):
        pytest.skip("Windows: the pipe carries whole messages; memory files: Linux only")
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["Lens", None, "Artois"]), pa.array([1.5, 2.0, None])], names=["t", "h"]
    )
    parent, child = mp.Pipe(duplex=shared)
    worker.send(child, ("ok", batch), shared=shared)
    status, back = worker.receive(parent, time.monotonic() + 5)
    assert status == "ok" and back.equals(batch)

    parent, child = mp.Pipe(duplex=shared)
    child.send(worker.OutOfBand(pickle.dumps("x", protocol=5), [100], shared=shared))
    if not shared:
        os.write(child.fileno(), b"0123456789")  # 10 of the 100 bytes announced, then gone
    child.close()  # (memory file: its descriptor never sent)
    with pytest.raises(EOFError):
        worker.receive(parent, time.monotonic() + 5)

    parent, child = mp.Pipe(duplex=shared)
    child.send(worker.OutOfBand(pickle.dumps("x", protocol=5), [100], shared=shared))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        worker.receive(parent, started + 0.3)
    assert time.monotonic() - started < 3


def test_a_memory_file_shorter_than_announced_is_a_crash() -> None:
    """A memory file that holds less than its header announces (a child stopped while
    writing it) is read as a crash, not as sheets cut short."""
    import multiprocessing as mp
    from multiprocessing import reduction

    from clausekit.pipeline import worker

    if not worker.SHARED_FILE:
        pytest.skip("memory files: Linux only")
    parent, child = mp.Pipe(duplex=True)
    fd = os.memfd_create("test")
    os.write(fd, b"0123456789")
    child.send(worker.OutOfBand(pickle.dumps("x", protocol=5), [100], shared=True))
    reduction.send_handle(child, fd, os.getpid())
    os.close(fd)
    with pytest.raises(EOFError):
        worker.receive(parent, time.monotonic() + 5)
