"""The entry point: :func:`preflight` checks a file before any parser touches it."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import IO

from clausekit.errors import make_issue
from clausekit.preflight.containers import check_bomb
from clausekit.preflight.findings import CORRUPT, READ_ERRORS, Found, Limits, Preflight, Refused
from clausekit.preflight.ods import scan_ods
from clausekit.preflight.sniff import EXTENSIONS, detect, is_lock_file, read_mimetype
from clausekit.preflight.xlsx import scan_xlsx


def preflight(path: Path, limits: Limits = Limits()) -> Preflight:
    """Check ``path`` before parsing: format from content, bombs, hostile XML, huge ranges.

    Never raises for a bad file: every problem is reported as an issue. ``fatal`` non-empty
    means the file must not be parsed (a lock file gets FILE_LOCK_SKIPPED there, a warning).
    """
    path = Path(path)
    file = str(path)

    def unreadable(reason: str) -> Preflight:
        return Preflight("unknown", fatal=[make_issue("FILE_UNREADABLE", file=file, reason=reason)])

    if is_lock_file(path):
        return Preflight("unknown", fatal=[make_issue("FILE_LOCK_SKIPPED", file=file)])
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            return unreadable("le chemin désigne un dossier")
        if not stat.S_ISREG(mode):  # a pipe or a device would block or never end
            return unreadable("ce n'est pas un fichier ordinaire")
        with path.open("rb") as fh:
            result = _preflight_open(fh, file, limits)
    except FileNotFoundError:
        return Preflight("unknown", fatal=[make_issue("FILE_NOT_FOUND", file=file)])
    except PermissionError:
        return unreadable("accès refusé")
    except OSError:
        return unreadable("erreur de lecture")
    except Exception:  # a file our checks cannot handle is not handed to a parser either
        return unreadable("vérification de sécurité impossible")
    expected = EXTENSIONS.get(path.suffix.lower())
    if result.format != "unknown" and expected is not None and expected != result.format:
        result.issues.insert(
            0,
            make_issue(
                "FILE_EXTENSION_MISMATCH",
                file=file,
                extension=path.suffix.lower(),
                detected=result.format,
            ),
        )
    return result


def _preflight_open(fh: IO[bytes], file: str, limits: Limits) -> Preflight:
    detection = detect(fh, file, limits)
    result = Preflight(detection.format)
    if detection.fatal is not None:
        result.fatal.append(detection.fatal)
        return result
    archive = detection.zip
    if archive is None:
        return result
    found = Found(limits.max_issues)
    try:
        with archive:
            check_bomb(archive.infolist(), file, limits)
            if detection.ods_candidate:
                if not read_mimetype(archive):
                    result.format = "unknown"
                    result.fatal.append(make_issue("FILE_FORMAT_UNKNOWN", file=file))
                    return result
                scan_ods(archive, file, limits, result, found)
            else:
                scan_xlsx(archive, file, limits, result, found)
    except Refused as refused:
        result.fatal.append(refused.issue)
    except READ_ERRORS:
        result.fatal.append(make_issue("FILE_UNREADABLE", file=file, reason=CORRUPT))
    result.issues.extend(found.issues)
    result.suppressed = found.suppressed
    return result
