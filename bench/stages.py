"""Time of each stage of :func:`clausekit.consolidate.consolidate`, in the main process.

Usage::

    .venv/bin/python bench/stages.py bench/cache/1000000            # stages, wall time
    .venv/bin/python bench/stages.py bench/cache/B-1000000 --cprofile 25
    .venv/bin/python bench/stages.py DIR --json out.json           # the figures as JSON

The library's own ``consolidate()`` runs unchanged; the stage functions it calls (recognise,
validate, merge, compute, views, write_*) are wrapped by timers where ``consolidate`` looks
them up, and the iterator over the files being read is timed for the time the main process
waits for the child processes (« read »: calamine, safety check and conversion to text run
there, two files at a time). ``--cprofile N`` also prints the N functions of clausekit with
the most own time (the child processes are not profiled).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STAGES = {
    "recognise": "recognise",
    "validate": "validate",
    "merge": "merge",
    "compute": "indicators",
    "views": "views",
    "write_formats": "write formats",  # rapport.xlsx, .json, .csv... (output.writers)
    "write_document": "write html",
    "write_xlsx": "write annex",
    "write_csv": "write csv",
}


def profile(folder: Path, cprofile: int = 0) -> dict[str, Any]:
    started = time.perf_counter()
    from clausekit.pipeline.read import start_reading

    reading = start_reading([folder])  # the children start now, as in the CLI
    import clausekit.consolidate as cons

    imported = time.perf_counter() - started
    imported_cpu = time.process_time()
    spent: dict[str, float] = defaultdict(float)
    spent_cpu: dict[str, float] = defaultdict(float)

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t0
                spent_cpu[name] += time.process_time() - c0

        return wrapper

    for attr, name in STAGES.items():
        if hasattr(cons, attr):  # a stage renamed in consolidate: not timed, counted in other
            setattr(cons, attr, timed(name, getattr(cons, attr)))

    def waited(results: Iterator[Any]) -> Iterator[Any]:
        while True:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                item = next(results)
            except StopIteration:
                item = None
            spent["read (wait)"] += time.perf_counter() - t0
            spent_cpu["read (wait)"] += time.process_time() - c0
            if item is None:
                return
            yield item

    reading.results = waited(reading.results)
    prof = None
    if cprofile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="clausekit-profile-") as tmp:
        result = cons.consolidate([folder], Path(tmp), reading=reading)
        sizes = {p.name: p.stat().st_size for p in Path(tmp).iterdir() if p.is_file()}
    run, run_cpu = time.perf_counter() - t0, time.process_time() - c0
    if prof is not None:
        prof.disable()
    stages = {"imports": imported, **{k: round(v, 3) for k, v in spent.items()}}
    stages["other"] = run - sum(spent.values())
    cpu = {"imports": imported_cpu, **spent_cpu, "other": run_cpu - sum(spent_cpu.values())}
    issues = result.report.get("issues", [])
    out: dict[str, Any] = {
        "folder": str(folder),
        "total_seconds": round(time.perf_counter() - started, 3),
        "stages": {k: round(v, 3) for k, v in stages.items()},
        "stages_cpu": {k: round(v, 3) for k, v in cpu.items()},
        "total_cpu_seconds": round(time.process_time(), 3),
        "outputs_bytes": sizes,
        "issues": len(issues),
        "longest_message": max((len(i.get("message", "")) for i in issues), default=0),
    }
    if prof is not None:
        out["cprofile"] = _top(prof, cprofile)
    return out


def _top(prof: Any, n: int) -> list[str]:
    import io
    import pstats

    lines: list[str] = []
    for order, pattern in (("cumulative", r"src/clausekit"), ("tottime", "")):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats(order).print_stats(pattern, n) if pattern else stats.sort_stats(
            order
        ).print_stats(n)
        text = [line for line in buf.getvalue().splitlines() if line.strip()]
        lines += [f"-- par temps {'cumulé (clausekit)' if pattern else 'propre'}", *text[-n - 1 :]]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = profile(args.folder, args.cprofile)
    print(f"  {'étape':<14} {'réel':>8}   {'CPU':>8}")
    for name, seconds in out["stages"].items():
        print(f"  {name:<14} {seconds:8.2f} s {out['stages_cpu'].get(name, 0):8.2f} s")
    print(f"  {'total':<14} {out['total_seconds']:8.2f} s {out['total_cpu_seconds']:8.2f} s")
    print(f"  sorties : {out['outputs_bytes']}")
    print(f"  anomalies : {out['issues']}, message le plus long : {out['longest_message']} car.")
    for line in out.get("cprofile", []):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    sys.stdout.flush()
    import os

    os._exit(0)  # like the CLI: no interpreter teardown


if __name__ == "__main__":
    sys.exit(main())
