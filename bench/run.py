"""Speed and memory benchmark of clausekit against a hand-written pandas pipeline and a raw read.

Usage (``make bench`` runs the defaults)::

    .venv/bin/python bench/run.py                       # 10k, 100k and 1M lines
    .venv/bin/python bench/run.py --quick               # 10k only, nothing written
    .venv/bin/python bench/run.py --sizes 100000 --repeat 5

Two export shapes are measured in the same run (``--shapes A,B``): A, written by
``clausekit.samples.write_samples`` into ``bench/cache/<size>/``, and B (one sheet per
territory, no contract id, per-contract forecasts; see ``bench/shape_b.py``) into
``bench/cache/B-<size>/``; both are generated once and reused while ``ATTENDU.json`` is there.
For each shape and size three measurements run, each in a fresh subprocess:

(a) ``naive``: what a user writes by hand — ``pandas.read_excel(..., sheet_name=None,
    engine="openpyxl")`` per file, the sheets and header rows picked by hand for the three
    layouts, concat, groupby;
(b) ``raw``: the fastest raw read available — fastexcel (calamine) loading every sheet of
    every file into Arrow tables, spread over 2 worker processes, no validation, nothing
    computed;
(c) ``clausekit``: ``clausekit consolidate bench/cache/<size> -o <tmp>``, the CLI end to end.

Wall time is measured around the subprocess (interpreter start-up and imports included, for
all three). Peak memory is the larger of (1) the peak of the summed RSS of the whole process
tree, sampled every 20 ms from /proc (clausekit and (b) read in child processes), and (2) the
largest ``ru_maxrss`` reported by ``wait4`` for the tree (what ``/usr/bin/time -v`` prints).

See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache"
RESULTS = HERE / "results.md"
PYTHON = sys.executable
FIGURES = (
    "hours_realised",
    "hours_forecast",
    "participants",
    "participants_brsa",
    "participants_ase",
)
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
# From this size on: (a) runs once; its measurement is kept (see --reuse-naive).
BIG = 1_000_000
NAIVE_RECORD = "naive-measurement.json"  # in bench/cache/<size>/
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


# =============================================================================================
# (a) the naive pipeline — runs in a worker subprocess: ``run.py --worker naive DIR OUT``


def naive_pipeline(folder: Path) -> dict[str, Any]:
    """The figures, the way an analyst writes them by hand with pandas + openpyxl."""
    import pandas as pd

    t0 = time.perf_counter()
    lens = pd.read_excel(
        folder / "Lens-Liévin" / "abc_clauses_lens_lievin_2025.xlsx",
        sheet_name=None,
        engine="openpyxl",
        header=3,  # three-row title block
    )
    henin = pd.read_excel(
        folder / "Hénin-Carvin" / "export_henin_carvin_2025.xlsx",
        sheet_name=None,
        engine="openpyxl",
    )
    artois = pd.read_excel(
        folder / "Artois" / "artois_extraction.xlsx",
        sheet_name=None,
        engine="openpyxl",
        header=None,  # the header row differs from sheet to sheet
    )
    t_read = time.perf_counter() - t0

    def with_header(frame: pd.DataFrame, row: int) -> pd.DataFrame:
        out = frame.iloc[row + 1 :].copy()
        out.columns = list(frame.iloc[row])
        return out.reset_index(drop=True)

    # ---- people: one row per (territory, id), with the identity and the publics
    lp = lens["Participants"]
    statut = lp["Statut à l'entrée"].fillna("")
    people_lens = pd.DataFrame(
        {
            "territory": "Lens-Liévin",
            "pid": lp["N° participant"].astype(str),
            "nom": lp["Nom"],
            "prenom": lp["Prénom"],
            "naissance": pd.to_datetime(lp["Date de naissance"]),
            "brsa": statut.str.contains("RSA"),
            "ase": statut.str.contains("ASE|jeune majeur", case=False),
        }
    )
    hx = henin["Extraction"]
    people_henin = pd.DataFrame(
        {
            "territory": "Hénin-Carvin",
            "pid": hx["Identifiant"].astype(str),
            "nom": hx["Nom"],
            "prenom": hx["Prénom"],
            "naissance": pd.to_datetime(hx["Né(e) le"]),
            "brsa": hx["BRSA"].eq("Oui"),
            "ase": hx["Jeune ASE"].eq("Oui"),
        }
    ).drop_duplicates("pid")
    ab = with_header(artois["Bénéficiaires"], 1)
    crit = ab["Critères"].fillna("")
    people_artois = pd.DataFrame(
        {
            "territory": "Artois",
            "pid": ab["ID bénéficiaire"].astype(str),
            "nom": ab["Nom"],
            "prenom": ab["Prénom"],
            "naissance": pd.to_datetime(ab["Date de naissance"], format="%d/%m/%Y"),
            "brsa": crit.str.contains("RSA"),
            "ase": crit.str.contains("Aide sociale"),
        }
    )
    people = pd.concat([people_lens, people_henin, people_artois], ignore_index=True)
    people["person"] = (
        people["nom"].str.strip().str.upper()
        + "|"
        + people["prenom"].str.strip().str.upper()
        + "|"
        + people["naissance"].dt.strftime("%Y-%m-%d")
    )

    # ---- hour lines: (territory, id, contract type, hours)
    lc = lens["Contrats"]
    lines_lens = pd.DataFrame(
        {
            "territory": "Lens-Liévin",
            "pid": lc["N° participant"].astype(str),
            "type": lc["Type de contrat"],
            "hours": lc["Heures réalisées"].astype(float),
        }
    )
    lines_henin = pd.DataFrame(
        {
            "territory": "Hénin-Carvin",
            "pid": hx["Identifiant"].astype(str),
            "type": hx["Nature du contrat"],
            "hours": hx["Heures effectuées"].astype(float),
        }
    )
    ah = with_header(artois["Heures"], 0)
    ah = ah[ah["ID bénéficiaire"] != "TOTAL"]
    hours_text = (
        ah["Nb heures"]
        .astype(str)
        .str.replace("\u00a0", "", regex=False)
        .str.replace(" ", "", regex=False)
        .str.replace(",", ".", regex=False)
    )
    lines_artois = pd.DataFrame(
        {
            "territory": "Artois",
            "pid": ah["ID bénéficiaire"].astype(str),
            "type": ah["Type de contrat"],
            "hours": hours_text.astype(float),
        }
    )
    lines = pd.concat([lines_lens, lines_henin, lines_artois], ignore_index=True)
    work = lines[lines["type"] != "PMSMP"]

    # ---- forecast: once per operation
    ops = pd.concat(
        [
            lens["Opérations"][["Opération", "Heures prévisionnelles"]]
            .set_axis(["op", "forecast"], axis=1)
            .assign(territory="Lens-Liévin"),
            hx[["N° marché", "Heures prévues"]]
            .set_axis(["op", "forecast"], axis=1)
            .drop_duplicates("op")
            .assign(territory="Hénin-Carvin"),
            with_header(artois["Marchés"], 0)[["Lot", "Objectif d'heures"]]
            .set_axis(["op", "forecast"], axis=1)
            .assign(territory="Artois"),
        ],
        ignore_index=True,
    ).drop_duplicates(["territory", "op"])

    # ---- participants: >= 1 work hour over the year, across territories by identity
    per_record = work.groupby(["territory", "pid"], as_index=False)["hours"].sum()
    per_record = per_record.merge(people, on=["territory", "pid"], how="left")
    per_person = per_record.groupby("person")["hours"].sum()
    worked = per_person[per_person >= 1 - 1e-9].index
    publics = people.groupby("person")[["brsa", "ase"]].any()
    publics = publics.loc[publics.index.isin(worked)]

    figures = {
        "hours_realised": round(float(work["hours"].sum()), 2),
        "hours_forecast": float(ops["forecast"].astype(float).sum()),
        "participants": len(worked),
        "participants_brsa": int(publics["brsa"].sum()),
        "participants_ase": int(publics["ase"].sum()),
    }
    return {
        "figures": figures,
        "read_seconds": round(t_read, 3),
        "compute_seconds": round(time.perf_counter() - t0 - t_read, 3),
        "lines": len(lines),
    }


def naive_pipeline_b(folder: Path) -> dict[str, Any]:
    """Shape B by hand: every sheet of every workbook, one row per contract × month line."""
    import pandas as pd

    t0 = time.perf_counter()
    frames = [
        frame
        for path in sorted(folder.glob("*.xlsx"))
        for frame in pd.read_excel(path, sheet_name=None, engine="openpyxl").values()
    ]
    t_read = time.perf_counter() - t0
    rows = pd.concat(frames, ignore_index=True)
    rows["pid"] = rows["Territoire"] + "|" + rows["Identifiant participant"].astype(str)
    rows["person"] = (
        rows["Nom"].str.strip().str.upper()
        + "|"
        + rows["Prénom"].str.strip().str.upper()
        + "|"
        + pd.to_datetime(rows["Date de naissance"]).dt.strftime("%Y-%m-%d")
    )
    rows["brsa"] = rows["BRSA"].eq("Oui")
    rows["ase"] = rows["Jeune ASE"].eq("Oui")
    work = rows[rows["Type de contrat"] != "PMSMP"]
    # no contract id: a contract is its participant, operation and start date; its forecast
    # repeats on each of its rows
    contracts = rows.drop_duplicates(["pid", "Code opération", "Date de début"])
    per_person = work.groupby("person")["Heures réalisées"].sum()
    worked = per_person[per_person >= 1 - 1e-9].index
    publics = rows.groupby("person")[["brsa", "ase"]].any()
    publics = publics.loc[publics.index.isin(worked)]
    figures = {
        "hours_realised": round(float(work["Heures réalisées"].sum()), 2),
        "hours_forecast": float(contracts["Heures prévues"].astype(float).sum()),
        "participants": len(worked),
        "participants_brsa": int(publics["brsa"].sum()),
        "participants_ase": int(publics["ase"].sum()),
    }
    return {
        "figures": figures,
        "read_seconds": round(t_read, 3),
        "compute_seconds": round(time.perf_counter() - t0 - t_read, 3),
        "lines": len(rows),
    }


# =============================================================================================
# (b) the fastest raw read — ``run.py --worker raw DIR OUT``


def _raw_load_file(path: str) -> tuple[int, int]:
    """Load every sheet of one workbook with calamine into an Arrow table; return (sheets,
    rows). Nothing kept.

    fastexcel's defaults (first row as header, types inferred): of the reads that give the
    cells as data, the fastest measured (2026-12-02, CPU for the 3 files at 1M: A 7.4 s, B
    8.2 s; all cells as text: 7.6 s and 9.0 s). ``.height`` alone, without ``to_arrow()``,
    converts no cell (5.9 s and 6.3 s): it stops before the data exists, so it is not a read.
    """
    import fastexcel

    reader = fastexcel.read_excel(path)
    rows = 0
    names = reader.sheet_names
    for name in names:
        rows += reader.load_sheet(name).to_arrow().num_rows
    return len(names), rows


def raw_read(folder: Path, workers: int = 2) -> dict[str, Any]:
    """fastexcel over all sheets of all files, biggest file first, ``workers`` processes."""
    from concurrent.futures import ProcessPoolExecutor

    files = sorted((str(p) for p in folder.rglob("*.xlsx")), key=lambda p: -os.path.getsize(p))
    t0 = time.perf_counter()
    import multiprocessing as mp

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
        done = list(pool.map(_raw_load_file, files))
    return {
        "files": len(files),
        "sheets": sum(s for s, _ in done),
        "rows": sum(r for _, r in done),
        "read_seconds": round(time.perf_counter() - t0, 3),
    }


def worker(kind: str, folder: Path, out: Path) -> None:
    if kind == "naive":
        result = naive_pipeline(folder)
    elif kind == "naive-B":
        result = naive_pipeline_b(folder)
    else:
        result = raw_read(folder)
    out.write_text(json.dumps(result), encoding="utf-8")


# =============================================================================================
# Measuring a subprocess: wall time, peak memory of its process tree


TICK = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, rss pages, CPU ticks: user + system) for every process in /proc."""
    table: dict[int, tuple[int, int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        table[int(entry.name)] = (
            int(fields[1]),
            int(fields[21]),
            int(fields[11]) + int(fields[12]),
        )
    return table


def _tree_sample(root: int, cpu: dict[int, int]) -> int:
    """Summed RSS of ``root`` and its descendants, in bytes; records each one's CPU ticks."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += table[pid][1]
            cpu[pid] = max(cpu.get(pid, 0), table[pid][2])
        stack.extend(children.get(pid, ()))
    return total * PAGE


@dataclass
class Measure:
    seconds: float
    peak_mib: float
    code: int
    stderr: str = ""
    cpu_seconds: float | None = None  # user + system, whole process tree


def measure(cmd: list[str], interval: float = 0.02) -> Measure:
    """Run ``cmd``; wall time and peak memory (max of tree-RSS samples and wait4 ru_maxrss)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, text=True
    )
    # stderr is small (-q); a reader thread would be needed for chatty commands.
    peak = 0
    cpu: dict[int, int] = {}
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_sample(proc.pid, cpu))
        # 20 ms while short-lived children come and go, then 50 ms (a /proc scan costs ~1 ms)
        time.sleep(interval if time.perf_counter() - start < 5 else 0.05)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    peak = max(peak, usage.ru_maxrss * 1024)  # kB on Linux
    # CPU: the sum of the last sample of each process of the tree (a process's last < 50 ms
    # are missed), or wait4's figure — the child and the descendants it waited for, not those
    # it left to others (clausekit's readers are the fork server's) —, whichever is larger
    cpu_seconds = max(usage.ru_utime + usage.ru_stime, sum(cpu.values()) / TICK)
    return Measure(seconds, peak / MIB, proc.returncode, stderr, cpu_seconds)


# =============================================================================================
# The benchmark


@dataclass
class Row:
    shape: str
    size: int
    runs: dict[str, list[Measure]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    naive: dict[str, Any] | None = None
    raw: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
    truth: dict[str, Any] | None = None

    def median(self, kind: str) -> float | None:
        runs = self.runs.get(kind)
        return statistics.median(m.seconds for m in runs) if runs else None

    def spread(self, kind: str) -> tuple[float, float] | None:
        runs = self.runs.get(kind)
        return (min(m.seconds for m in runs), max(m.seconds for m in runs)) if runs else None

    def cpu(self, kind: str) -> float | None:
        runs = [m.cpu_seconds for m in self.runs.get(kind, []) if m.cpu_seconds is not None]
        return statistics.median(runs) if runs else None

    def peak(self, kind: str) -> float | None:
        runs = self.runs.get(kind)
        return max(m.peak_mib for m in runs) if runs else None


def cache_folder(shape: str, size: int) -> Path:
    """bench/cache/<size>/ for shape A (as before), bench/cache/B-<size>/ for shape B."""
    return CACHE / (str(size) if shape == "A" else f"{shape}-{size}")


def ensure_samples(size: int, shape: str = "A") -> Path:
    folder = cache_folder(shape, size)
    if (folder / "ATTENDU.json").exists():
        return folder
    if folder.exists():  # an interrupted generation
        shutil.rmtree(folder)
    print(f"  génération de {size:,} lignes dans {folder.relative_to(ROOT)} …", flush=True)
    t0 = time.perf_counter()
    if shape == "A":
        from clausekit.samples import write_samples

        write_samples(folder, rows=size)
    else:
        from shape_b import write_shape_b  # bench/shape_b.py, next to this script

        write_shape_b(folder, rows=size)
    print(f"  générées en {time.perf_counter() - t0:.1f} s", flush=True)
    return folder


def _signature(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*.xlsx"))}


def _run_worker(kind: str, folder: Path) -> tuple[Measure, dict[str, Any] | None]:
    with tempfile.TemporaryDirectory(prefix="clausekit-bench-") as tmp:
        out = Path(tmp) / "out.json"
        m = measure(
            [PYTHON, str(Path(__file__).resolve()), "--worker", kind, str(folder), str(out)]
        )
        data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    return m, data


def _run_clausekit(folder: Path) -> tuple[Measure, dict[str, Any] | None]:
    with tempfile.TemporaryDirectory(prefix="clausekit-bench-") as tmp:
        cli = Path(PYTHON).with_name("clausekit")
        cmd = [str(cli)] if cli.exists() else [PYTHON, "-m", "clausekit"]
        m = measure([*cmd, "consolidate", str(folder), "-o", tmp, "-q"])
        path = Path(tmp) / "rapport.json"
        report = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    return m, report


def bench_size(
    shape: str, size: int, repeat: int, reuse_naive: bool, skip_naive: bool, naive_once: bool
) -> Row:
    folder = ensure_samples(size, shape)
    row = Row(shape, size)
    label = f"{shape} {size:>9}"
    row.truth = json.loads((folder / "ATTENDU.json").read_text(encoding="utf-8"))
    runs: dict[str, list[Measure]] = {"naive": [], "raw": [], "clausekit": []}
    record = folder / NAIVE_RECORD
    # (a) takes minutes at BIG sizes: one run there, kept for --reuse-naive.
    naive_runs = 1 if size >= BIG or naive_once else repeat
    if skip_naive:
        naive_runs = 0
        row.notes["naive"] = "non mesuré (--skip-naive)"
    elif size >= BIG and reuse_naive and record.exists():
        saved = json.loads(record.read_text(encoding="utf-8"))
        if saved.get("signature") == _signature(folder) and saved.get("host") == _host_key():
            runs["naive"] = [Measure(**m) for m in saved["runs"]]
            row.naive = saved["result"]
            row.notes["naive"] = f"mesure du {saved['date']} réutilisée"
            naive_runs = 0
            print(f"  {label} naive     mesure du {saved['date']} réutilisée", flush=True)
    for i in range(max(repeat, naive_runs)):
        if i < naive_runs:
            m, data = _run_worker("naive" if shape == "A" else f"naive-{shape}", folder)
            _check("naive", m)
            runs["naive"].append(m)
            row.naive = data or row.naive
            _progress(label, "naive", i, m)
        if i < repeat:
            m, data = _run_worker("raw", folder)
            _check("raw", m)
            runs["raw"].append(m)
            row.raw = data or row.raw
            _progress(label, "raw", i, m)
            m, report = _run_clausekit(folder)
            if m.code not in (0, 1):
                print(
                    f"    clausekit: code de sortie {m.code}\n{m.stderr[-2000:]}", file=sys.stderr
                )
            runs["clausekit"].append(m)
            row.report = report or row.report
            _progress(label, "clausekit", i, m)
    if size >= BIG and naive_runs and runs["naive"] and row.naive:
        record.write_text(
            json.dumps(
                {
                    "date": dt.date.today().isoformat(),
                    "host": _host_key(),
                    "signature": _signature(folder),
                    "runs": [m.__dict__ for m in runs["naive"]],
                    "result": row.naive,
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
        row.notes["naive"] = f"gardée dans {folder.relative_to(ROOT)}/{NAIVE_RECORD}"
    row.runs = runs
    return row


def _check(kind: str, m: Measure) -> None:
    if m.code != 0:
        print(f"    {kind}: code de sortie {m.code}\n{m.stderr[-3000:]}", file=sys.stderr)


def _progress(label: str, kind: str, i: int, m: Measure) -> None:
    print(
        f"  {label} {kind:<9} essai {i + 1}: {m.seconds:8.2f} s  {m.peak_mib:7.0f} Mio"
        f"  CPU {m.cpu_seconds or 0:7.2f} s",
        flush=True,
    )


# =============================================================================================
# Correctness, machine, output


def correctness(row: Row) -> list[tuple[str, Any, Any, Any, bool, bool]]:
    """(figure, clausekit, naive, expected, clausekit == expected, naive == expected)."""
    out = []
    totals = (row.report or {}).get("totals", {})
    naive = (row.naive or {}).get("figures", {})
    truth = row.truth or {}
    for key in FIGURES:
        c, n, t = totals.get(key), naive.get(key), truth.get(key)
        out.append((key, c, n, t, _same(c, t), _same(n, t)))
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    return abs(float(a) - float(b)) < 0.005


def _host_key() -> str:
    return f"{platform.node()}|{_cpu_model()}|{os.cpu_count()}"


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "?"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else platform.processor() or "?"


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nproc = str(os.cpu_count())
    mem = "?"
    try:
        found = re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M)
        if found:
            mem = f"{int(found.group(1)) / 1024 / 1024:.1f} Gio".replace(".", ",")
    except OSError:
        pass
    packages = []
    for name in ("clausekit", "pandas", "openpyxl", "xlsxwriter", "fastexcel",
                 "python-calamine", "pyarrow", "pandera", "numpy", "polars"):  # fmt: skip
        try:
            packages.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            packages.append(f"{name} absent")
    return {
        "nproc": nproc,
        "cpu": _cpu_model(),
        "ram": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": ", ".join(packages),
    }


def _n(x: int) -> str:
    return f"{x:,}".replace(",", "\u202f")


def _dec(text: str) -> str:
    """French decimals: 1234.5 -> "1 234,5" (narrow no-break space)."""
    return text.replace(",", "\u202f").replace(".", ",")


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return _dec(f"{x:.2f}" if x < 100 else f"{x:.0f}")


def _fmt_mib(x: float | None) -> str:
    return "—" if x is None else _n(round(x))


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None or b == 0 else _dec(f"{a / b:.2f}")


def table(rows: list[Row]) -> list[str]:
    head = [
        "| forme | lignes d'heures | (a) naïf pandas+openpyxl | (b) lecture brute fastexcel ×2 "
        "| (c) clausekit consolidate | c/a | c/b | a/c (gain) |",
        "|:---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    out = list(head)
    for r in rows:
        cells = []
        for kind in ("naive", "raw", "clausekit"):
            med, peak, n = r.median(kind), r.peak(kind), len(r.runs.get(kind, []))
            cpu = r.cpu(kind)
            cell = "non mesuré" if med is None else f"{_fmt_s(med)} s · {_fmt_mib(peak)} Mio"
            if med is not None and cpu is not None:
                cell += f" · CPU {_fmt_s(cpu)} s"
            spread = r.spread(kind)
            detail = []
            if med is not None and spread and n > 1:
                detail.append(f"médiane de {n}, {_fmt_s(spread[0])} à {_fmt_s(spread[1])} s")
            elif med is not None:
                detail.append("1 exécution")
            if kind in r.notes:
                detail.append(r.notes[kind])
            if detail:
                cell += f" ({' ; '.join(detail)})"
            cells.append(cell)
        a, b, c = r.median("naive"), r.median("raw"), r.median("clausekit")
        out.append(
            f"| {r.shape} | {_n(r.size)} | {cells[0]} | {cells[1]} | {cells[2]} "
            f"| {_ratio(c, a)} | {_ratio(c, b)} | {_ratio(a, c)}× |"
        )
    return out


RAW_FACTOR = 2.5  # issue 15: at 1M, clausekit <= 2.5 x the fastest raw read, on each shape


def targets(rows: list[Row]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for each shape measured."""
    out: list[tuple[str, str, str]] = []
    for shape in sorted({r.shape for r in rows}):
        for t, m, v in _targets([r for r in rows if r.shape == shape]):
            out.append((f"{shape} · {t}", m, v))
    return out


def _targets(rows: list[Row]) -> list[tuple[str, str, str]]:
    by = {r.size: r for r in rows}
    out: list[tuple[str, str, str]] = []
    big = by.get(BIG)
    if big:
        a, b, c = big.median("naive"), big.median("raw"), big.median("clausekit")
        peak = big.peak("clausekit")
        out.append(
            (
                f"1M : clausekit ≤ {_dec(str(RAW_FACTOR))} × (b)",
                f"c/b = {_ratio(c, b)}",
                _verdict(c is not None and b is not None and c <= RAW_FACTOR * b),
            )
        )
        out.append(
            (
                "1M : clausekit ≥ 20 × plus rapide que (a)",
                f"a/c = {_ratio(a, c)}",
                _verdict(a is not None and c is not None and a >= 20 * c),
            )
        )
        out.append(
            (
                "1M : pic mémoire de clausekit < 2 Gio",
                f"{_fmt_mib(peak)} Mio",
                _verdict(peak is not None and peak < 2048),
            )
        )
    else:
        names = (
            f"1M : clausekit ≤ {_dec(str(RAW_FACTOR))} × (b)",
            "1M : clausekit ≥ 20 × plus rapide que (a)",
            "1M : pic mémoire de clausekit < 2 Gio",
        )
        for name in names:
            out.append((name, "—", "non mesuré dans cette exécution"))
    small = by.get(10_000)
    if small and small.median("clausekit") is not None:
        c = small.median("clausekit")
        out.append(("10k : commande complète < 1 s", f"{_fmt_s(c)} s", _verdict(c < 1.0)))
    else:
        out.append(("10k : commande complète < 1 s", "—", "non mesuré dans cette exécution"))
    return out


def _verdict(ok: bool) -> str:
    return "✓ atteint" if ok else "✗ non atteint"


def _fig(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return _dec(f"{x:,.2f}")
    return _n(x)


def correctness_lines(row: Row) -> list[str]:
    lines = [
        f"Forme {row.shape}, contrôle à {_n(row.size)} lignes : totaux de `rapport.json` "
        "(clausekit), du pipeline naïf et de `ATTENDU.json` (calculé par le générateur, jamais "
        "relu des fichiers).",
        "",
        "| indicateur | clausekit | naïf | attendu | clausekit = attendu | naïf = attendu |",
        "|---|---:|---:|---:|:---:|:---:|",
    ]
    for key, c, n, t, ok_c, ok_n in correctness(row):
        lines.append(
            f"| {key} | {_fig(c)} | {_fig(n)} | {_fig(t)} | {'✓' if ok_c else '✗'} "
            f"| {'✓' if ok_n else '✗'} |"
        )
    return lines


def write_results(
    rows: list[Row], path: Path, info: dict[str, str], args: Any, took: float
) -> None:
    md = [
        "# Banc d'essai clausekit",
        "",
        "Généré par `make bench` (`bench/run.py`) — ne pas éditer à la main. Mode d'emploi : "
        "[README.md](README.md).",
        "",
        f"- date : {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine : {info['nproc']} cœurs (`nproc`), {info['cpu']}, {info['ram']} de RAM, "
        f"{info['os']}",
        f"- Python {info['python']} ; {info['packages']}",
        f"- commande : `{' '.join(['bench/run.py', *sys.argv[1:]])}` (durée totale {took:.0f} s)",
        f"- charge moyenne sur 1 min (`/proc/loadavg`) : {_dec(info['load_start'])} au début, "
        f"{_dec(loadavg())} à la fin (au-dessus de ~0,5, d'autres programmes partageaient les "
        f"{info['nproc']} cœurs : les temps sont alors pessimistes)",
        "",
        "## Temps et mémoire",
        "",
        "Temps : médiane du temps réel (démarrage de Python et imports compris), en secondes, "
        "avec l'écart entre la plus rapide et la plus lente des exécutions ; CPU : médiane du "
        "temps processeur (utilisateur + système) de tout l'arbre de processus, moins sensible "
        "que le temps réel aux autres programmes qui partagent la machine. "
        "Mémoire : pic de RSS de l'arbre de processus, en Mio (1 Mio = 2²⁰ octets).",
        "",
        *table(rows),
        "",
        "`c/a`, `c/b` : temps de clausekit divisé par celui de (a), de (b) (< 1 : clausekit plus "
        "rapide). `a/c` : combien de fois clausekit est plus rapide que le pipeline naïf.",
        "",
        "## Objectifs",
        "",
        "| objectif | mesuré | verdict |",
        "|---|---:|---|",
        *(f"| {t} | {m} | {v} |" for t, m, v in targets(rows)),
        "",
        "## Exactitude",
        "",
    ]
    for largest in largest_rows(rows):
        md += [*correctness_lines(largest), ""]
        if largest.naive:
            md += [
                f"Détail du pipeline naïf, forme {largest.shape} à {_n(largest.size)} : lecture "
                f"openpyxl {_fmt_s(largest.naive['read_seconds'])} s, calcul pandas "
                f"{_fmt_s(largest.naive['compute_seconds'])} s.",
                "",
            ]
    analysis = Path(__file__).with_name("analysis.md")  # the why, written by people
    if analysis.is_file():
        md += [analysis.read_text(encoding="utf-8").rstrip(), ""]
    path.write_text("\n".join(md), encoding="utf-8")


def largest_rows(rows: list[Row]) -> list[Row]:
    """For each shape, its row of the largest size measured."""
    out: dict[str, Row] = {}
    for r in rows:
        if r.shape not in out or r.size > out[r.shape].size:
            out[r.shape] = r
    return [out[k] for k in sorted(out)]


def print_report(rows: list[Row]) -> None:
    print()
    for line in table(rows):
        print(line)
    print()
    for t, m, v in targets(rows):
        print(f"  {t:<45} {m:>16}  {v}")
    for largest in largest_rows(rows):
        print()
        for line in correctness_lines(largest):
            print(line)


def compile_sources() -> None:
    """clausekit as its users run it: pip compiles the bytecode of an installed package, but
    not that of an editable install (``make install``), and where PYTHONDONTWRITEBYTECODE is
    set Python never caches it: every measured run would compile clausekit's ~60 modules
    again (0.35 to 0.4 s of CPU, 10k rows, 2026-12-02). Compiled once here (``__pycache__``
    in src/, ignored by git)."""
    import compileall

    compileall.compile_dir(ROOT / "src", quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="tailles (lignes d'heures)")
    add("--shapes", default="A,B", help="formes d'export mesurées (A : samples, B : shape_b.py)")
    add("--repeat", type=int, help="exécutions par mesure (défaut : 3 ; 1 pour (a) à 1M)")
    add("--quick", action="store_true", help="10k seulement ; n'écrit rien sauf avec --output")
    add("--output", type=Path, help="fichier markdown des résultats (défaut : bench/results.md)")
    add("--reuse-naive", action="store_true", help="à 1M, reprendre la dernière mesure de (a)")
    add("--skip-naive", action="store_true", help="ne pas mesurer le pipeline naïf (a)")
    add("--naive-once", action="store_true", help="(a) une seule fois à chaque taille")
    add("--worker", nargs=3, metavar=("KIND", "DIR", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        kind, folder, out = args.worker
        worker(kind, Path(folder), Path(out))
        return 0

    compile_sources()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    if args.quick:
        sizes = [10_000]
    output = args.output or (None if args.quick else RESULTS)
    started = time.perf_counter()
    info = machine()
    info["load_start"] = loadavg()
    if float(info["load_start"].replace("?", "0")) > 0.5:
        print(f"attention : charge moyenne {info['load_start']}, les temps seront bruités",
              flush=True)  # fmt: skip
    print(f"clausekit bench — {info['nproc']} cœurs, {info['cpu']}, {info['ram']}", flush=True)
    shapes = [s.strip().upper() for s in args.shapes.split(",") if s.strip()]
    rows = []
    for size in sizes:
        repeat = args.repeat if args.repeat is not None else 3  # (a): once at BIG sizes
        for shape in shapes:
            print(f"\n== forme {shape}, {_n(size)} lignes (×{repeat})", flush=True)
            rows.append(
                bench_size(shape, size, repeat, args.reuse_naive, args.skip_naive, args.naive_once)
            )
    took = time.perf_counter() - started
    print_report(rows)
    if output:
        write_results(rows, output, info, args, took)
        print(f"\nÉcrit : {output}")
    print(f"Durée totale : {took:.0f} s")
    ok = all(ok for r in largest_rows(rows) for *_, ok, _ in correctness(r))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
