"""An xlsx package: its workbook (sheets, hidden sheets, date system) and every member scanned."""

from __future__ import annotations

import posixpath
import zipfile
from typing import Any

from defusedxml import ElementTree as SafeET

from clausekit.preflight.containers import check_encrypted, check_method, inflate, scanned
from clausekit.preflight.findings import Found, Limits, Preflight, SheetInfo, unreadable
from clausekit.preflight.sniff import part_name, workbook_folder
from clausekit.preflight.worksheet import scan_sheet
from clausekit.preflight.xmlscan import XmlScan


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_small_xml(data: bytes, file: str, part: str) -> Any:
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except Exception as exc:  # ParseError and defusedxml's refusals alike
        raise unreadable(file, f"classeur illisible ({part})") from exc


def _workbook_sheets(
    workbook: bytes, rels: bytes | None, file: str, folder: str = "xl"
) -> tuple[list[SheetInfo], bool]:
    """Sheets (name, member, hidden) and the date1904 flag of an xlsx workbook."""
    root = _parse_small_xml(workbook, file, f"{folder}/workbook.xml")
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in _parse_small_xml(rels, file, f"{folder}/_rels/workbook.xml.rels").iter():
            if _local(rel.tag) == "Relationship" and rel.get("Id") and rel.get("Target"):
                target = rel.get("Target").replace("\\", "/")
                path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
                targets[rel.get("Id")] = posixpath.normpath(path)
    date1904 = False
    sheets: list[SheetInfo] = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "workbookPr":
            date1904 = str(element.get("date1904", "")).strip().lower() in ("1", "true")
        elif name == "sheet":
            rid = next(
                (
                    v
                    for k, v in element.attrib.items()
                    if k.endswith("}id") and "relationships" in k
                ),
                None,
            )
            sheets.append(
                SheetInfo(
                    name=element.get("name") or "?",
                    part=targets.get(rid) if rid else None,
                    hidden=element.get("state") in ("hidden", "veryHidden"),
                )
            )
    return sheets, date1904


def scan_xlsx(
    archive: zipfile.ZipFile, file: str, limits: Limits, result: Preflight, found: Found
) -> None:
    infos = archive.infolist()
    budget = [limits.max_uncompressed]
    by_name = {part_name(i.filename): i for i in infos}
    folder = workbook_folder(set(by_name)) or "xl"

    def read_small(name: str) -> bytes | None:
        info = by_name.get(name)
        if info is None:
            return None
        check_encrypted(info, file)
        check_method(info, file)
        scan = XmlScan(file, limits, keep=True)
        scan.run(inflate(archive, info, file, budget))
        return scan.text()

    done = {f"{folder}/_rels/workbook.xml.rels", f"{folder}/workbook.xml"}
    rels = read_small(f"{folder}/_rels/workbook.xml.rels")
    workbook = read_small(f"{folder}/workbook.xml") or b""
    result.sheets, result.date1904 = _workbook_sheets(workbook, rels, file, folder)
    sheet_names = {s.part: s.name for s in result.sheets if s.part}
    for info in infos:
        part = part_name(info.filename)
        if part in done:
            continue
        check_encrypted(info, file)
        if part not in sheet_names and not scanned(archive, info):
            continue
        check_method(info, file)
        lower = part.lower()
        if part in sheet_names or (
            lower.startswith(f"{folder.lower()}/worksheets/") and lower.endswith(".xml")
        ):
            name = sheet_names.get(part) or posixpath.basename(part)
            scan_sheet(archive, info, file, limits, name, found, budget)
        else:
            strict = lower.startswith(f"{folder.lower()}/") and lower.endswith("sharedstrings.xml")
            XmlScan(file, limits, strict=strict).run(inflate(archive, info, file, budget))
    order = {s.name: i for i, s in enumerate(result.sheets)}
    found.issues.sort(key=lambda i: (order.get(i.sheet or "", len(order)), i.row or 0))
