"""The report opens in LibreOffice: converted headless to PDF, every sheet and chart there.
(Skipped where LibreOffice is not installed; test_cli.py re-reads it with openpyxl anyway.)"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from clausekit.consolidate import consolidate

ROOT = Path(__file__).resolve().parents[1]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice n'est pas installé")
def test_report_converts_cleanly_with_libreoffice(tmp_path: Path) -> None:
    consolidate([ROOT / "samples"], tmp_path / "out", formats=("xlsx",))
    profile = tmp_path / "profile"
    done = subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            str(tmp_path / "out" / "rapport.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "pdf" / "rapport.pdf"
    assert done.returncode == 0, done.stderr
    assert pdf.is_file() and pdf.stat().st_size > 10_000
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 16  # at least a page per sheet
