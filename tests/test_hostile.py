"""Hostile and broken inputs, end to end: each one is refused with a clear error naming the
file, in bounded time and memory, and the run goes on with the other files. Outputs are inert
and written atomically; inputs are never modified; no traceback reaches the user.

Every file is built here from a clean synthetic workbook whose zip members are patched
(``tests/test_safety.py`` checks the preflight itself; this module checks what the user gets).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from clausekit.cli import app
from clausekit.consolidate import CheckResult, check, consolidate
from clausekit.errors import InputError, Issue, OutputError
from clausekit.pipeline.read import ReadLimits
from clausekit.preflight import Limits

from .conftest import CONTRACT_HEADER, OPERATION_HEADER, PARTICIPANT_HEADER, territory_workbook

runner = CliRunner()

PARTICIPANTS = [["P1", "Zébulonne", "Quasimodo", "01/02/1990", "BRSA"]]
CONTRACTS = [
    ["P1", "C1", "OP1", "Bâtir SA", "CDD", "01/01/2025", "31/03/2025", "01/2025", "151,67"]
]
OPERATIONS = [["OP1", "Tramway", "Ville de Lens", "L2112-2", "1 000"]]
SHEET1 = "xl/worksheets/sheet1.xml"  # "Participants" in territory_workbook
SHEET2 = "xl/worksheets/sheet2.xml"  # "Contrats"
MIB = 1024 * 1024


# --------------------------------------------------------------------------- builders


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def write_zip(path: Path, parts: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def patched(base: Path, path: Path, edits: dict[str, Callable[[bytes], bytes]]) -> Path:
    parts = members(base)
    for name, edit in edits.items():
        parts[name] = edit(parts[name])
    return write_zip(path, parts)


def before_sheet_data_end(xml: bytes) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"</sheetData>", xml + b"</sheetData>")


def with_doctype(doctype: bytes, extra_cell: bytes = b"") -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        if data.startswith(b"<?xml"):
            end = data.index(b"?>") + 2
            data = data[:end] + doctype + data[end:]
        else:
            data = doctype + data
        return data.replace(b"</sheetData>", extra_cell + b"</sheetData>")

    return edit


BILLION_LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)
XXE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def streamed_member(path: Path, base: Path, name: str, size: int, declared: int | None) -> Path:
    """Copy ``base`` and add a member of ``size`` spaces, streamed (never held in memory);
    with ``declared``, the central directory then lies about its uncompressed size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    chunk = b" " * MIB
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        with zout.open(name, "w") as member:
            member.write(b"<a>")
            for _ in range(size // MIB):
                member.write(chunk)
            member.write(b"</a>")
    if declared is not None:
        data = bytearray(path.read_bytes())
        encoded = name.encode()
        pos = data.find(b"PK\x01\x02")
        while pos >= 0:
            name_len = struct.unpack_from("<H", data, pos + 28)[0]
            if bytes(data[pos + 46 : pos + 46 + name_len]) == encoded:
                struct.pack_into("<L", data, pos + 24, declared)
                local = struct.unpack_from("<L", data, pos + 42)[0]
                struct.pack_into("<L", data, local + 22, declared)
            pos = data.find(b"PK\x01\x02", pos + 4)
        path.write_bytes(bytes(data))
    return path


def encrypted_workbook(path: Path) -> Path:
    """The OLE2 compound file Excel writes for a password-protected xlsx (streams empty)."""
    end, free, fat, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<LLLLLLLLL", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109L", header, 76, 0, *([free] * 108))
    fat_sector = struct.pack("<128L", fat, end, *([free] * 126))
    entries = b""
    for name, kind in (("Root Entry", 5), ("EncryptionInfo", 2), ("EncryptedPackage", 2)):
        raw = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\0\0"
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<LLL", raw, 68, none, none, none)
        struct.pack_into("<LQ", raw, 116, end, 0)
        entries += raw
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(header) + fat_sector + entries.ljust(512, b"\0"))
    return path


def contracts_csv(rows: list[list[str]] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerows([CONTRACT_HEADER, *(rows or CONTRACTS)])
    return buffer.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class Expected:
    code: str
    sheet: str | None = None
    row: int | None = None
    params: tuple[tuple[str, str], ...] = ()
    reason_prefix: str | None = None


HOSTILE: dict[str, Expected] = {
    "bombe_entites.xlsx": Expected(
        "FILE_HOSTILE", "Participants", params=(("reason", "entités XML interdites (DOCTYPE)"),)
    ),
    "entite_externe.xlsx": Expected(
        "FILE_HOSTILE", "Contrats", params=(("reason", "entités XML interdites (DOCTYPE)"),)
    ),
    "entite_classeur.xlsx": Expected(
        "FILE_HOSTILE", params=(("reason", "entités XML interdites (DOCTYPE)"),)
    ),
    "bombe_zip.xlsx": Expected(
        "FILE_HOSTILE", reason_prefix="archive zip suspecte : taux de compression"
    ),
    "taille_mensongere.xlsx": Expected(
        "FILE_HOSTILE",
        params=(("reason", "archive zip suspecte : taille décompressée supérieure à l'annonce"),),
    ),
    "plage_xfd.xlsx": Expected(
        "FILE_HOSTILE", "Participants", params=(("reason", "plage démesurée (XFD1048576)"),)
    ),
    "cellule_longue.xlsx": Expected(
        "VALUE_TOO_LONG", "Participants", 3, params=(("cell", "B3"), ("length", "40 000"))
    ),
    "tronque.xlsx": Expected(
        "FILE_UNREADABLE", params=(("reason", "archive zip tronquée ou corrompue"),)
    ),
    "binaire.xlsx": Expected("FILE_FORMAT_UNKNOWN"),
    "page_web.xlsx": Expected("FILE_FORMAT_UNKNOWN"),
    "vide.xlsx": Expected("FILE_UNREADABLE", params=(("reason", "fichier vide"),)),
    "protege.xlsx": Expected("FILE_ENCRYPTED"),
}


def build_hostile(folder: Path, base: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    patched(
        base,
        folder / "bombe_entites.xlsx",
        {
            SHEET1: with_doctype(
                BILLION_LAUGHS,
                b'<row r="3"><c r="A3" t="inlineStr"><is><t>&lol9;</t></is></c></row>',
            )
        },
    )
    patched(
        base,
        folder / "entite_externe.xlsx",
        {
            SHEET2: with_doctype(
                XXE, b'<row r="3"><c r="A3" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
            )
        },
    )
    patched(base, folder / "entite_classeur.xlsx", {"xl/workbook.xml": with_doctype(XXE)})
    streamed_member(folder / "bombe_zip.xlsx", base, "xl/worksheets/sheet9.xml", 32 * MIB, None)
    streamed_member(
        folder / "taille_mensongere.xlsx", base, "xl/worksheets/sheet9.xml", 100 * MIB, 1_000_000
    )
    patched(
        base,
        folder / "plage_xfd.xlsx",
        {
            SHEET1: before_sheet_data_end(
                b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'
            )
        },
    )
    long_cell = (
        b'<row r="3"><c r="B3" t="inlineStr"><is><t>' + b"y" * 40_000 + b"</t></is></c></row>"
    )
    patched(base, folder / "cellule_longue.xlsx", {SHEET1: before_sheet_data_end(long_cell)})
    data = base.read_bytes()
    (folder / "tronque.xlsx").write_bytes(data[: len(data) // 2])
    (folder / "binaire.xlsx").write_bytes(bytes(range(256)) * 64)
    (folder / "page_web.xlsx").write_bytes(
        b"<html><head><title>Export</title></head><body><table><tr><td>1</td></tr></table>"
        b"</body></html>"
    )
    (folder / "vide.xlsx").write_bytes(b"")
    encrypted_workbook(folder / "protege.xlsx")


def build_good_territory(root: Path) -> Path:
    return territory_workbook(root, "Lens", PARTICIPANTS, CONTRACTS, OPERATIONS)


@dataclass
class Mixed:
    root: Path
    hostile: Path
    base: Path
    result: CheckResult
    elapsed: float


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Mixed:
    """One folder: a good territory, every hostile file, a lock file and disguised files."""
    base = build_good_territory(tmp_path_factory.mktemp("base"))
    root = tmp_path_factory.mktemp("mixed")
    build_good_territory(root)
    hostile = root / "Artois"
    build_hostile(hostile, base)
    (hostile / "~$export.xlsx").write_bytes(b"\x06Dupont" + b" " * 48 + b"\x00" * 100)
    (hostile / "deguise.xlsx").write_bytes(contracts_csv())  # csv named .xlsx
    (hostile / "classeur.csv").write_bytes(base.read_bytes())  # xlsx named .csv
    started = time.monotonic()
    result = check([root])
    return Mixed(root, hostile, base, result, time.monotonic() - started)


def of_file(result: CheckResult, name: str) -> list[Issue]:
    return [i for i in result.issues if i.file and Path(i.file).name == name]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_refused_with_one_clear_error(mixed: Mixed, name: str) -> None:
    expected = HOSTILE[name]
    found = of_file(mixed.result, name)
    assert [i.code for i in found] == [expected.code], [(i.code, i.params) for i in found]
    issue = found[0]
    assert issue.severity == "error"
    assert issue.file == str(mixed.hostile / name)
    assert (issue.sheet, issue.row) == (expected.sheet, expected.row)
    got = dict(issue.params)
    for key, value in expected.params:
        assert got[key] == value
    if expected.reason_prefix:
        assert got["reason"].startswith(expected.reason_prefix), got
    assert str(mixed.hostile / name) in mixed.result.unreadable
    assert not [s for s in mixed.result.sources if Path(s["file"]).name == name]


def test_the_run_goes_on_with_the_other_files(mixed: Mixed) -> None:
    r = mixed.result
    good = {
        (s["sheet"], s["kind"]): (s["rows_read"], s["rows_accepted"])
        for s in r.sources
        if s["file"] == str(mixed.root / "Lens" / "export.xlsx")
    }
    assert good == {
        ("Participants", "participants"): (1, 1),
        ("Contrats", "contrats"): (1, 1),
        ("Opérations", "operations"): (1, 1),
    }
    assert sorted(Path(f).name for f in r.unreadable) == sorted(HOSTILE)
    assert int(r.exit_code()) == 3
    assert mixed.elapsed < 20


def test_no_entity_is_ever_expanded(mixed: Mixed) -> None:
    text = json.dumps([i.to_dict() for i in mixed.result.issues], ensure_ascii=False)
    assert "root:" not in text
    assert "lollol" not in text
    assert "y" * 100 not in text


def test_lock_files_are_skipped_with_a_warning(mixed: Mixed) -> None:
    [issue] = of_file(mixed.result, "~$export.xlsx")
    assert (issue.code, issue.severity) == ("FILE_LOCK_SKIPPED", "warning")
    assert issue.file == str(mixed.hostile / "~$export.xlsx")
    assert issue.file not in mixed.result.unreadable
    assert issue.file not in mixed.result.files


def test_format_comes_from_content_not_extension(mixed: Mixed) -> None:
    r = mixed.result
    [csv_issue] = of_file(r, "deguise.xlsx")
    assert csv_issue.code == "FILE_EXTENSION_MISMATCH"
    assert dict(csv_issue.params) == {"extension": ".xlsx", "detected": "csv"}
    assert csv_issue.severity == "warning"
    read = [s for s in r.sources if Path(s["file"]).name == "deguise.xlsx"]
    assert [(s["sheet"], s["kind"], s["rows_accepted"]) for s in read] == [("", "contrats", 1)]
    [xlsx_issue] = of_file(r, "classeur.csv")
    assert dict(xlsx_issue.params) == {"extension": ".csv", "detected": "xlsx"}
    read = [s for s in r.sources if Path(s["file"]).name == "classeur.csv"]
    assert sorted((s["sheet"], s["rows_accepted"]) for s in read) == [
        ("Contrats", 1),
        ("Opérations", 1),
        ("Participants", 1),
    ]


def test_xlsx_named_xls_is_read_as_xlsx(tmp_path: Path) -> None:
    base = build_good_territory(tmp_path / "base")
    path = tmp_path / "ancien.xls"
    path.write_bytes(base.read_bytes())
    r = check([path])
    assert [(i.code, dict(i.params)) for i in r.issues] == [
        ("FILE_EXTENSION_MISMATCH", {"extension": ".xls", "detected": "xlsx"})
    ]
    assert sorted(s["sheet"] for s in r.sources) == ["Contrats", "Opérations", "Participants"]


# --------------------------------------------------------------------------- bounds


def test_refusals_take_bounded_time_and_memory(mixed: Mixed) -> None:
    names = ["plage_xfd.xlsx", "bombe_zip.xlsx", "taille_mensongere.xlsx"]
    names += ["bombe_entites.xlsx", "cellule_longue.xlsx"]
    paths = [mixed.hostile / n for n in names]
    tracemalloc.start()
    try:
        started = time.monotonic()
        r = check(paths)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sorted(Path(f).name for f in r.unreadable) == sorted(names)
    assert elapsed < 5, elapsed
    assert peak < 64 * MIB, peak


def stray_cell_workbook(path: Path, base: Path) -> Path:
    """Two cells that make a naive reader build a 26 million cell range (under the preflight
    area limit: it is the parser's time limit that must stop it)."""
    far = b'<row r="1000000"><c r="Z1000000" t="inlineStr"><is><t>x</t></is></c></row>'
    return patched(base, path, {SHEET1: before_sheet_data_end(far)})


def test_a_parse_over_the_time_limit_is_abandoned(tmp_path: Path) -> None:
    base = build_good_territory(tmp_path / "base")
    slow = stray_cell_workbook(tmp_path / "in" / "lent.xlsx", base)
    good = tmp_path / "in" / "contrats.csv"
    good.write_bytes(contracts_csv())
    started = time.monotonic()
    r = check([slow, good], limits=ReadLimits(seconds=1.0))
    elapsed = time.monotonic() - started
    [issue] = [i for i in r.issues if i.file == str(slow)]
    assert (issue.code, dict(issue.params)) == ("FILE_TOO_SLOW", {"seconds": "1"})
    assert r.unreadable == [str(slow)]
    assert [(Path(s["file"]).name, s["rows_accepted"]) for s in r.sources] == [("contrats.csv", 1)]
    assert elapsed < 8, elapsed


DRIVER = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from clausekit.consolidate import check
    from clausekit.pipeline.read import ReadLimits
    from clausekit.preflight import Limits

    if __name__ == "__main__":
        # preflight disarmed: the parser's child process is the only line of defence left
        limits = ReadLimits(
            seconds=30, safety=Limits(max_cells=10**18, check_dimension=False)
        )
        started = time.monotonic()
        result = check([Path(p) for p in sys.argv[1:]], limits=limits)
        print(json.dumps({
            "elapsed": time.monotonic() - started,
            "issues": [[i.code, i.file, dict(i.params).get("reason")] for i in result.issues],
            "sources": [[s["file"], s["rows_accepted"]] for s in result.sources],
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }))
    """
)


@dataclass
class Child:
    xfd: Path
    good: Path
    returncode: int
    payload: dict[str, Any]
    stderr: str


@pytest.fixture(scope="module")
def child_cap(tmp_path_factory: pytest.TempPathFactory) -> Child:
    """A cell at XFD1048576 that preflight lets through: the parser child must die alone."""
    folder = tmp_path_factory.mktemp("child")
    base = build_good_territory(folder / "base")
    xfd = patched(
        base,
        folder / "in" / "plage_xfd.xlsx",
        {
            SHEET1: before_sheet_data_end(
                b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'
            )
        },
    )
    good = folder / "in" / "contrats.csv"
    good.write_bytes(contracts_csv())
    driver = folder / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    env = {**os.environ, "RUST_BACKTRACE": "1"}
    proc = subprocess.run(
        [sys.executable, str(driver), str(xfd), str(good)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    payload = json.loads(proc.stdout) if proc.returncode == 0 else {}
    return Child(xfd, good, proc.returncode, payload, proc.stderr)


def test_a_parser_blowing_its_memory_cap_only_fails_its_file(child_cap: Child) -> None:
    assert child_cap.returncode == 0, child_cap.stderr[-2000:]
    p = child_cap.payload
    # the child killed by its memory cap is said to have stopped, not to have run too long
    [(code, _, reason)] = [(c, f, r) for c, f, r in p["issues"] if f == str(child_cap.xfd)]
    assert code == "FILE_UNREADABLE"
    assert reason.startswith("le lecteur de classeurs s'est arrêté brutalement"), reason
    assert p["sources"] == [[str(child_cap.good), 1]]
    assert p["elapsed"] < 20, p
    assert p["maxrss_mb"] < 600, p  # the parent never holds the exploded range


def test_a_dying_parser_prints_no_traceback(child_cap: Child) -> None:
    assert "memory allocation" not in child_cap.stderr
    assert "backtrace" not in child_cap.stderr
    assert "Traceback" not in child_cap.stderr


# --------------------------------------------------------------------------- the CLI


def test_cli_consolidate_names_every_refused_file_and_exits_3(mixed: Mixed, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["consolidate", str(mixed.root), "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for name in HOSTILE:
        assert name in result.output
    report = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    names = {Path(s["file"]).name for s in report["sources"]}
    assert names == {"export.xlsx", "deguise.xlsx", "classeur.csv"}
    refused = {Path(i["file"]).name for i in report["issues"] if i["severity"] == "error"}
    assert refused == set(HOSTILE)


def test_cli_validate_json_lists_every_refused_file(mixed: Mixed) -> None:
    result = runner.invoke(app, ["validate", str(mixed.root), "--format", "json"])
    payload = json.loads(result.stdout)
    assert result.exit_code == payload["exit_code"] == 3
    by_file = {Path(i["file"]).name: i for i in payload["issues"] if i["severity"] == "error"}
    assert set(by_file) == set(HOSTILE)
    for name, expected in HOSTILE.items():
        assert by_file[name]["code"] == expected.code
        assert by_file[name]["message"]


def test_all_inputs_unreadable_exits_3_without_traceback(mixed: Mixed, tmp_path: Path) -> None:
    paths = [str(mixed.hostile / n) for n in ("tronque.xlsx", "protege.xlsx")]
    result = runner.invoke(app, ["consolidate", *paths, "-o", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert "Erreur" in result.output
    assert not (tmp_path / "out").exists()
    with pytest.raises(InputError):
        runner.invoke(
            app,
            ["consolidate", *paths, "-o", str(tmp_path / "out"), "--debug"],
            catch_exceptions=False,
        )


WRAPPER = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "clausekit", *sys.argv[1:]], capture_output=True, text=True
    )
    print(json.dumps({
        "code": proc.returncode,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
        "elapsed": time.monotonic() - started,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))
    """
)


def test_real_cli_on_hostile_files_is_bounded_and_quiet(mixed: Mixed, tmp_path: Path) -> None:
    """The installed entry point, in its own process: exit code, stderr, time and memory."""
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(wrapper), "consolidate", str(mixed.hostile), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    run = json.loads(proc.stdout)
    assert run["code"] == 3, run["stderr"]
    assert "Traceback" not in run["stderr"] + run["stdout"]
    assert run["elapsed"] < 30, run["elapsed"]
    assert run["maxrss_mb"] < 400, run["maxrss_mb"]
    assert (out / "rapport.json").is_file()  # from the two disguised but readable files


def test_internal_error_gives_exit_4_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import clausekit.cli
    import clausekit.consolidate

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bogue /etc/passwd")

    monkeypatch.setattr(clausekit.consolidate, "check", boom)
    # main() keeps pandera from importing hypothesis (an entry of None in sys.modules): undone
    # after the test, or the tests run after it could not import hypothesis
    monkeypatch.setitem(sys.modules, "hypothesis", sys.modules.get("hypothesis"))
    if sys.modules["hypothesis"] is None:
        monkeypatch.delitem(sys.modules, "hypothesis")
    monkeypatch.setattr(sys, "argv", ["clausekit", "validate", str(tmp_path)])
    with pytest.raises(SystemExit) as exc:
        clausekit.cli.main()
    assert exc.value.code == 4
    err = capsys.readouterr().err
    assert "Erreur interne de clausekit (RuntimeError)" in err
    assert "Traceback" not in err
    monkeypatch.setattr(sys, "argv", ["clausekit", "validate", str(tmp_path), "--debug"])
    with pytest.raises(RuntimeError):
        clausekit.cli.main()


# --------------------------------------------------------------------------- outputs


def csv_territory(folder: Path, contracts: list[list[str]], operations: list[list[str]]) -> Path:
    territory = folder / "Lens"
    territory.mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("participants", [PARTICIPANT_HEADER, *PARTICIPANTS]),
        ("contrats", [CONTRACT_HEADER, *contracts]),
        ("operations", [OPERATION_HEADER, *operations]),
    ):
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";", lineterminator="\n").writerows(rows)
        (territory / f"{name}.csv").write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return folder


FORMULA_TEXTS = ("=1+1", "+33 1 23", "-2+3", "@SUM(1)", "\tcmd", "\r=cmd", "x\r=cmd")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """Relative file names (echoed as typed) and operation texts that look like formulas."""
    monkeypatch.chdir(tmp_path)
    bad = ["P1", "C9", "OP1", "E", "CDD", "01/01/2025", "", "02/2025", "douze"]
    files = []
    for n, text in enumerate(FORMULA_TEXTS):
        name = f"{text}{n}.csv"
        # distinct contents: byte-identical files in one folder would be read once
        Path(name).write_bytes(contracts_csv([CONTRACTS[0], [*bad[:1], f"C9{n}", *bad[2:]]]))
        files.append(name)
    operations = [
        ["OP1", '=HYPERLINK("http://exemple.invalid","clic")', "@SUM(1)", "L2112-2", "1 000"]
    ]
    data = csv_territory(tmp_path / "in", CONTRACTS, operations)
    out = tmp_path / "out"
    result = runner.invoke(app, ["consolidate", "-o", str(out), "--", str(data), *files])
    assert result.exit_code == 1, result.output
    return out, files


def test_formula_like_text_is_inert_in_the_xlsx_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, files = formula_run(tmp_path, monkeypatch)
    wb = load_workbook(out / "rapport.xlsx")
    texts = set()
    for ws in wb.worksheets:
        for line in ws.iter_rows():
            for cell in line:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    assert "@SUM(1)" in texts  # written as typed, as text
    assert {f for f in files if f[0] in "=+-@"} <= texts


def test_formula_like_text_is_inert_in_rejets_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, files = formula_run(tmp_path, monkeypatch)
    with (out / "rejets.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["Fichier", "Feuille", "Ligne", "Motifs"]
    expected = [f if f[0] not in FORMULA_START else "'" + f for f in files]
    assert sorted(r[0] for r in rows[1:]) == sorted(expected)
    for row in rows:
        assert len(row) == 4, row
        for cell in row:
            assert not cell.startswith(FORMULA_START), row


def test_formula_like_text_gets_a_quote_in_rejets_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every field starting like a formula is prefixed with a quote (and quoted when it holds
    a line break)."""
    out, files = formula_run(tmp_path, monkeypatch)
    with (out / "rejets.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    first_cells = {row[0] for row in rows[1:]}
    for name in files:
        if name[0] in FORMULA_START:
            assert "'" + name in first_cells


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
            p.stat().st_mode,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_inputs_are_never_modified(mixed: Mixed, tmp_path: Path) -> None:
    before = snapshot(mixed.root)
    result = runner.invoke(app, ["consolidate", str(mixed.root), "-o", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert snapshot(mixed.root) == before


def good_run(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    data = csv_territory(tmp_path / "in", CONTRACTS, OPERATIONS)
    out = tmp_path / "out"
    assert int(consolidate([data], out).exit_code) == 0
    return data, out, {p.name: p.read_bytes() for p in out.iterdir()}


def second_data(tmp_path: Path) -> Path:
    more = [*CONTRACTS, ["P1", "C2", "OP1", "E", "CDD", "01/02/2025", "", "02/2025", "35"]]
    return csv_territory(tmp_path / "in2", more, OPERATIONS)


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_a_failed_run_leaves_the_previous_report_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out, before = good_run(tmp_path)
    import clausekit.consolidate

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(clausekit.consolidate, "write_csv", disk_full)
    with pytest.raises(OutputError, match=r"^Disque plein"):  # the user's to fix: exit 2
        consolidate([second_data(tmp_path)], out)
    assert outputs(out) == before


def test_an_interrupted_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out, before = good_run(tmp_path)
    from xlsxwriter import Workbook

    def half_save(self: Any) -> None:
        if hasattr(self.filename, "write"):  # saved to memory first, then to disk
            self.filename.write(b"PK\x03\x04 half a workbook")
        else:
            Path(self.filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "close", half_save)
    with pytest.raises(OutputError, match=r"^Disque plein"):  # the user's to fix: exit 2
        consolidate([second_data(tmp_path)], out)
    after = outputs(out)
    assert after["rapport.xlsx"] == before["rapport.xlsx"]
    # no temp file left
    assert sorted(after) == ["bilan.html", "rapport.json", "rapport.xlsx", "rejets.csv"]


def test_strict_failure_and_unreadable_inputs_leave_the_previous_report_intact(
    tmp_path: Path, mixed: Mixed
) -> None:
    _, out, before = good_run(tmp_path)
    bad = [*CONTRACTS, ["P1", "C2", "OP1", "E", "CDD", "01/02/2025", "", "02/2025", "douze"]]
    rejected = csv_territory(tmp_path / "bad", bad, OPERATIONS)
    strict = runner.invoke(app, ["consolidate", str(rejected), "-o", str(out), "--strict"])
    assert strict.exit_code == 1
    assert outputs(out) == before
    unreadable = runner.invoke(
        app, ["consolidate", str(mixed.hostile / "tronque.xlsx"), "-o", str(out)]
    )
    assert unreadable.exit_code == 3
    assert outputs(out) == before


def test_strict_stops_on_an_unreadable_file(tmp_path: Path) -> None:
    """Without --strict the run goes on with the other files; with it, nothing is written."""
    data = csv_territory(tmp_path / "in", CONTRACTS, OPERATIONS)
    (data / "casse.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    loose = runner.invoke(app, ["consolidate", str(data), "-o", str(tmp_path / "a")])
    assert loose.exit_code == 3
    assert (tmp_path / "a" / "rapport.json").is_file()
    strict = runner.invoke(app, ["consolidate", str(data), "-o", str(tmp_path / "b"), "--strict"])
    assert strict.exit_code == 3
    assert "1 fichier(s) illisible(s) ; aucun rapport écrit" in strict.output
    assert not (tmp_path / "b").exists()


# --------------------------------------------------------------------------- parsed range


def test_a_formatted_empty_cell_far_away_no_longer_refuses_the_file(tmp_path: Path) -> None:
    """A border drawn on XFD1048576 writes an empty formatted cell there; calamine skips cells
    without a value, so it allocates nothing for it. Where the reader's memory is capped, the
    range checked is the parsed one: the file is read as it is. Where it is not (Windows),
    the check before the parse still counts every cell reference and refuses it."""
    from clausekit.pipeline.worker import memory_cap_available
    from clausekit.preflight import preflight

    if not memory_cap_available():
        pytest.skip("no memory cap here: the range is checked before the parse")
    base = build_good_territory(tmp_path / "base")
    far = patched(
        base,
        tmp_path / "in" / "bordure.xlsx",
        {SHEET1: before_sheet_data_end(b'<row r="1048576"><c r="XFD1048576" s="0"/></row>')},
    )
    result = check([far])
    assert [i.code for i in result.issues if i.severity == "error"] == []
    assert sorted((s["sheet"], s["rows_accepted"]) for s in result.sources) == [
        ("Contrats", 1),
        ("Opérations", 1),
        ("Participants", 1),
    ]
    assert dict(preflight(far).fatal[0].params)["reason"] == "plage démesurée (XFD1048576)"


@pytest.mark.parametrize(
    ("max_cells", "refused"), [(119, "plage démesurée (D30)"), (120, None)], ids=["over", "at"]
)
def test_a_sheet_parsed_larger_than_the_limit_is_refused_at_its_last_cell(
    tmp_path: Path, max_cells: int, refused: str | None
) -> None:
    """Values in A1:D30 make a parsed range of 4 x 30 = 120 cells: one more than the limit
    refuses the file, naming D30 as the check before the parse would; exactly the limit
    passes."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Contrats"
    for row in range(1, 31):
        for col in range(1, 5):
            sheet.cell(row, col, f"v{row}-{col}")
    path = tmp_path / "grand.xlsx"
    workbook.save(path)
    limits = ReadLimits(safety=Limits(max_cells=max_cells))
    result = check([path], limits=limits)
    hostile = [i for i in result.issues if i.code == "FILE_HOSTILE"]
    if refused is None:
        assert hostile == []
    else:
        assert [(i.sheet, dict(i.params)["reason"]) for i in hostile] == [("Contrats", refused)]
        assert str(path) in result.unreadable
