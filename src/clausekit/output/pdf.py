"""bilan.pdf: the bilan's HTML printed by a Chromium-family browser found on the machine
(Chromium, Google Chrome, or the Microsoft Edge that every Windows PC has), headless.

No PDF library: the browser that shows the document is the one that prints it, so the PDF
is the page a reader sees, with its print CSS (A4, page breaks, running title, page x / y).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from clausekit.errors import UsageError

NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
    "microsoft-edge-stable",
    "msedge",
    "chrome",
)
WINDOWS = (
    ("ProgramFiles(x86)", r"Microsoft\Edge\Application\msedge.exe"),
    ("ProgramFiles", r"Microsoft\Edge\Application\msedge.exe"),
    ("ProgramFiles", r"Google\Chrome\Application\chrome.exe"),
    ("ProgramFiles(x86)", r"Google\Chrome\Application\chrome.exe"),
    ("LOCALAPPDATA", r"Google\Chrome\Application\chrome.exe"),
)
MACOS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
)
TIMEOUT = 120.0  # seconds for one print
NOT_FOUND = (
    "Aucun navigateur Chromium, Chrome ou Edge trouvé pour produire bilan.pdf. Installez-en "
    "un (par exemple « apt-get install chromium »), indiquez son chemin dans la variable "
    "CLAUSEKIT_BROWSER, ou ouvrez bilan.html et imprimez-le en PDF."
)


def find_browser(environ: Mapping[str, str] | None = None) -> Path | None:
    """The first Chromium-family browser found: $CLAUSEKIT_BROWSER, then the PATH, then the
    usual Windows and macOS install folders."""
    env = os.environ if environ is None else environ
    chosen = env.get("CLAUSEKIT_BROWSER")
    if chosen:
        return Path(chosen) if Path(chosen).is_file() else None
    for name in NAMES:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return Path(found)
    for variable, tail in WINDOWS:
        root = env.get(variable)
        if root and Path(root, *tail.split("\\")).is_file():
            return Path(root, *tail.split("\\"))
    for path in MACOS:
        if Path(path).is_file():
            return Path(path)
    return None


def print_command(browser: Path, page: Path, target: Path, profile: Path) -> list[str]:
    return [
        str(browser),
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--print-to-pdf={target}",
        page.resolve().as_uri(),
    ]


def html_to_pdf(document: str, target: Path, browser: Path | None = None) -> None:
    """Print ``document`` (self-contained HTML) to the PDF file ``target``."""
    browser = browser or find_browser()
    if browser is None:
        raise UsageError(NOT_FOUND)
    with tempfile.TemporaryDirectory(prefix="clausekit-pdf-") as folder:
        page = Path(folder) / "bilan.html"
        page.write_text(document, encoding="utf-8")
        profile = Path(folder) / "profil"
        printed = Path(folder) / "bilan.pdf"
        try:
            done = subprocess.run(
                print_command(browser, page, printed, profile),
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(
                f"Le navigateur {browser} n'a pas pu produire bilan.pdf ({type(exc).__name__})."
            ) from exc
        if not printed.is_file() or printed.stat().st_size == 0:
            raise UsageError(
                f"Le navigateur {browser} n'a pas produit bilan.pdf (code {done.returncode}) : "
                "ouvrez bilan.html et imprimez-le en PDF."
            )
        shutil.copyfile(printed, target)
