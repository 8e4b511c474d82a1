"""Command line: thin adapters over the library (one library call per command)."""

from __future__ import annotations

import contextlib
import gc
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from clausekit import clickfr, render
from clausekit.errors import ClausekitError, ExitCode
from clausekit.output import writers

clickfr.install()  # Click's help and usage messages in French

app = typer.Typer(
    name="clausekit",
    help="Consolider les exports ABC Clauses et produire le bilan des clauses d'insertion.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

InputPaths = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Exports (.xlsx, .xls, .ods, .csv) ou dossiers ; sans chemin : les territoires de "
        "clausekit.toml."
    ),
]
Debug = Annotated[bool, typer.Option("--debug", help="Afficher la trace complète des erreurs.")]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Toute ligne rejetée ou tout fichier illisible est bloquant : aucun rapport écrit.",
    ),
]


class Interrupted(BaseException):
    """Ctrl-C (SIGINT), raised past click (which would print « Aborted! » and exit 1)."""


def _fail(exc: ClausekitError, debug: bool) -> None:
    if debug:
        raise exc
    render.console(stderr=True).print(f"Erreur : {exc}", markup=False)
    raise typer.Exit(int(exc.exit_code))


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Fichier de configuration (par défaut : $CLAUSEKIT_CONFIG, puis ./clausekit.toml).",
    ),
]


@app.command()
def consolidate(
    paths: InputPaths = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Dossier du rapport (par défaut : celui de la configuration, sinon ./rapport).",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Période AAAA-MM:AAAA-MM (par défaut : la configuration, sinon les données).",
        ),
    ] = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help=writers.format_help(),
        ),
    ] = None,
    mask_below: Annotated[
        int,
        typer.Option(
            "--mask-below",
            min=0,
            max=1000,
            help="Masquer les effectifs de personnes de 1 à K-1 (« <K », masquage secondaire "
            "« n.d. ») pour un rapport diffusé hors de l'équipe.",
        ),
    ] = 0,
    strict: Strict = False,
    config: ConfigOption = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            help="Secondes d'attente si un autre traitement écrit déjà dans le même dossier "
            "(par défaut : abandon immédiat, code 2).",
        ),
    ] = 0.0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="N'afficher que les erreurs.")
    ] = False,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            help="json : une ligne de journal JSON par exécution, sur la sortie d'erreur (cron).",
        ),
    ] = "text",
    debug: Debug = False,
) -> None:
    """Consolider les exports et écrire le rapport (bilan.html, xlsx, json, rejets.csv).

    Exemple : clausekit consolidate exports/ -o rapport
    """
    import time

    started = time.monotonic()
    console = None if quiet else render.console()  # quiet: nothing printed, rich not loaded
    try:
        todo = _consolidation_plan(
            paths,
            config,
            quiet,
            log_format,
            output=output,
            period=period,
            formats=formats,
            mask_below=mask_below,
            strict=strict,
        )
        result = _run_consolidation(todo, console, wait=wait, quiet=quiet)
    except ClausekitError as exc:
        render.log_line(log_format, render.error_record(exc, time.monotonic() - started))
        _fail(exc, debug)
        return
    with render.printing():
        _print_consolidation(console, result, todo.out_dir, strict=strict, quiet=quiet)
    seconds = time.monotonic() - started
    render.log_line(log_format, render.log_record(result, result.exit_code, seconds, todo.out_dir))
    raise typer.Exit(int(result.exit_code))


def _consolidation_plan(
    paths: list[Path] | None,
    config: Path | None,
    quiet: bool,
    log_format: str,
    *,
    formats: list[str] | None,
    **options: Any,
) -> Any:
    """The run to do: the options checked, the config loaded (its warnings shown), the plan."""
    import os

    from clausekit.routine import plan as routine

    if log_format not in ("text", "json"):
        raise _usage(f"Format de journal « {log_format} » inconnu : choisissez text ou json.")
    conf = routine.load(config, Path.cwd(), os.environ)
    render.config_warnings(conf, quiet)
    return routine.plan(paths or [], config=conf, formats=writers.parse_formats(formats), **options)


@contextlib.contextmanager
def _loading() -> Any:
    """The ~10⁵ objects of pandas, pyarrow and the pipeline live as long as the process: no
    collection while they load, then frozen, out of every later one (0.13 s of 10k rows)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _run_consolidation(todo: Any, console: Any, *, wait: float, quiet: bool) -> Any:
    """The run, under the output folder's lock, with a progress bar of the files read."""
    from clausekit.pipeline.read import start_reading
    from clausekit.routine.lock import run_lock

    with run_lock(todo.out_dir, wait=wait), render.progress(console, quiet) as on_file:
        inputs = replace(todo.inputs, on_file=on_file)
        reading = start_reading(todo.paths, inputs=inputs)  # the files are read while...
        with _loading():  # ...the heavy modules load
            from clausekit.consolidate import consolidate as run

        return run(todo.paths, todo.out_dir, todo.options, inputs=inputs, reading=reading)


def _print_consolidation(
    console: Any, result: Any, out_dir: Path, *, strict: bool, quiet: bool
) -> None:
    """The summary, the sources, the issues (errors first), the files written, what to do."""
    if not quiet:
        errors = [i for i in result.checked.issues if i.severity == "error"]
        console.print(render.summary_table(result.report))
        console.print(render.sources_table(result.report["sources"]))
        if result.checked.issues:
            console.print(render.issue_table(errors or result.checked.issues))
    if strict and not result.outputs:
        render.console(stderr=True).print(
            f"Mode strict : {result.checked.rows_rejected} ligne(s) rejetée(s), "
            f"{len(result.checked.unreadable)} fichier(s) illisible(s) ; aucun rapport écrit.",
            markup=False,
        )
    elif not quiet:
        for path in result.outputs:
            console.print(f"Écrit : {path}", markup=False)
    if not quiet:
        for text in render.closing_summary(result, out_dir):
            console.print(text, markup=False)


@app.command()
def validate(
    paths: InputPaths = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="Sortie : table (lisible) ou json (programmes).")
    ] = "table",
    config: ConfigOption = None,
    debug: Debug = False,
) -> None:
    """Vérifier les exports sans produire de rapport.

    Exemple : clausekit validate exports/ --format json
    """
    import os

    from clausekit.pipeline.read import start_reading
    from clausekit.routine import plan as routine

    if format not in ("table", "json"):
        _fail(_usage(f"Format « {format} » inconnu : choisissez table ou json."), debug)
    try:
        conf = routine.load(config, Path.cwd(), os.environ)
        render.config_warnings(conf, quiet=format == "json")
        todo = routine.plan(paths or [], config=conf)
        reading = start_reading(todo.paths, inputs=todo.inputs)  # the files are read while...
        with _loading():  # ...the heavy modules load
            from clausekit.consolidate import check
        result = check(todo.paths, inputs=todo.inputs, reading=reading)
    except ClausekitError as exc:
        _fail(exc, debug)
        return
    with render.printing():
        if format == "json":
            sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
        else:
            console = render.console()
            console.print(render.sources_table(result.sources))
            if result.issues:
                console.print(render.issue_table(result.issues))
            else:
                console.print("Aucune anomalie.")
    raise typer.Exit(int(result.exit_code()))


@app.command()
def inspect(
    paths: Annotated[
        list[Path], typer.Argument(help="Exports (.xlsx, .xls, .ods, .csv) ou dossiers.")
    ],
    maps: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            "-m",
            help='Associer un en-tête à un champ, répétable : --map "Ref bénéf.=participant" '
            "(champ par son nom ou en français).",
        ),
    ] = None,
    snippet: Annotated[
        bool,
        typer.Option(
            "--config-snippet",
            help="Écrire le bloc [colonnes] de clausekit.toml : les colonnes de --map, et les "
            "colonnes non reconnues avec le champ le plus proche, en commentaire.",
        ),
    ] = False,
    format: Annotated[
        str, typer.Option("--format", "-f", help="Sortie : texte (lisible) ou json (programmes).")
    ] = "texte",
    config: ConfigOption = None,
    debug: Debug = False,
) -> None:
    """Expliquer ce que clausekit comprend de chaque feuille et de chaque colonne.

    Exemple : clausekit inspect export.xlsx --map "Ref bénéf.=participant" --config-snippet
    """
    import os

    from clausekit import inspect as explain
    from clausekit.routine import plan as routine

    try:
        if format not in ("texte", "json"):
            raise _usage(f"Format « {format} » inconnu : choisissez texte ou json.")
        conf = routine.load(config, Path.cwd(), os.environ)
        render.config_warnings(conf, quiet=format == "json")
        mapping = explain.parse_maps(maps or [])
        reports = explain.inspect_files(paths, config=conf, maps=mapping)
    except ClausekitError as exc:
        _fail(exc, debug)
        return
    with render.printing():
        if format == "json":
            payload = [r.to_dict() for r in reports]
            sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        else:
            sys.stdout.write("".join(f"{line}\n" for line in explain.render_text(reports)))
        if snippet:
            if format != "json":
                sys.stdout.write("\nÀ copier dans clausekit.toml :\n\n")
            sys.stdout.write(explain.config_snippet(reports, mapping))
    raise typer.Exit(int(explain.exit_code(reports)))


def _usage(message: str) -> ClausekitError:
    from clausekit.errors import UsageError

    return UsageError(message)


@app.command()
def samples(
    directory: Annotated[Path, typer.Argument(help="Dossier où écrire les exports fictifs.")],
    rows: Annotated[
        int, typer.Option("--rows", "-n", min=10, help="Nombre approximatif de lignes d'heures.")
    ] = 600,
    seed: Annotated[int, typer.Option("--seed", help="Graine du générateur.")] = 2025,
) -> None:
    """Écrire des exports ABC Clauses fictifs pour trois territoires (données synthétiques).

    Exemple : clausekit samples samples --rows 600
    """
    from clausekit.samples import write_samples

    result = write_samples(directory, rows=rows, seed=seed)
    console = render.console()
    for path in result.files:
        console.print(f"Écrit : {path}", markup=False)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Fichier à créer.")] = Path("clausekit.toml"),
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Fichier à créer (comme l'argument path)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Remplacer un fichier existant.")] = False,
    debug: Debug = False,
) -> None:
    """Écrire un clausekit.toml de départ, entièrement commenté.

    Exemple : clausekit init
    """
    from clausekit.routine.config import write_init

    try:
        written = write_init(config or path, force=force)
    except ClausekitError as exc:
        _fail(exc, debug)
        return
    render.console().print(
        f"Écrit : {written} — vérifiez-le avec : clausekit config check", markup=False
    )


config_app = typer.Typer(help="Vérifier la configuration (clausekit.toml).", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check(
    path: Annotated[
        Path | None,
        typer.Argument(help="Fichier à vérifier (par défaut : celui que consolidate utiliserait)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Vérifier clausekit.toml et lister tous les problèmes d'un coup.

    Exemple : clausekit config check -c clausekit.toml
    """
    import os

    from clausekit.routine.config import find_config
    from clausekit.routine.configfile import review_config

    try:
        found = find_config(config or path, Path.cwd(), os.environ)
    except ClausekitError as exc:
        _fail(exc, False)
        return
    if found is None:
        _fail(_usage("Aucun clausekit.toml trouvé : créez-en un avec clausekit init."), False)
        return
    problems, warnings = review_config(found)
    console = render.console()
    render.warn(found, warnings)
    if not problems:
        console.print(f"{found} : configuration valide.", markup=False)
        return
    err = render.console(stderr=True)
    err.print(f"{found} : {len(problems)} problème(s).", markup=False)
    for problem in problems:
        err.print(f"- {problem}", markup=False)
    raise typer.Exit(int(ExitCode.USAGE))


history_app = typer.Typer(
    help="Historique mensuel des agrégats (base SQLite de clausekit.toml ou --base).",
    invoke_without_command=True,
)
app.add_typer(history_app, name="history")

HistoryBase = Annotated[
    Path | None,
    typer.Option("--base", help="Base SQLite (par défaut : [historique] base de clausekit.toml)."),
]


def _history_base(base: Path | None, config: Path | None) -> Path:
    import os

    from clausekit.routine import plan as routine

    conf = None
    if base is None:
        conf = routine.load(config, Path.cwd(), os.environ)
        render.config_warnings(conf)
    return routine.history_base(base, conf)


@history_app.callback()
def history(
    ctx: typer.Context,
    base: HistoryBase = None,
    config: ConfigOption = None,
) -> None:
    """Lister les périodes enregistrées (heures, participants).

    Exemple : clausekit history --base historique.sqlite
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = (base, config)
        return
    from rich.table import Table

    from clausekit.routine.history import History
    from clausekit.rules.metrics import HISTORY

    try:
        path = _history_base(base, config)
        with History(path) as store:
            months = store.months()
    except ClausekitError as exc:
        _fail(exc, False)
        return
    table = Table(title=f"Historique {path}", title_justify="left")
    table.add_column("Période")
    table.add_column("Enregistrée le")
    for metric in HISTORY:
        table.add_column(metric.short, justify="right")
    for m in months:
        t = m["totals"]
        table.add_row(
            m["period"], m["recorded_at"], *(render.fmt(t.get(metric.key)) for metric in HISTORY)
        )
    render.console().print(table)


@history_app.command("diff")
def history_diff(
    ctx: typer.Context,
    before: Annotated[str, typer.Argument(help="Période de départ, ex. 2025-05.")],
    after: Annotated[str, typer.Argument(help="Période d'arrivée, ex. 2025-06.")],
    base: HistoryBase = None,
    config: ConfigOption = None,
) -> None:
    """Montrer ce qui a changé entre deux périodes, par territoire et par opération.

    Exemple : clausekit history diff 2025-05 2025-06
    """
    from rich.table import Table

    from clausekit.routine.history import DIFF_HEADER, History, diff_rows

    above = ctx.obj or (None, None)
    base, config = base or above[0], config or above[1]
    try:
        with History(_history_base(base, config)) as store:
            rows = diff_rows(store.diff(before, after))
    except ClausekitError as exc:
        _fail(exc, False)
        return
    if not rows:
        render.console().print(f"Aucun changement entre {before} et {after}.", markup=False)
        return
    table = Table(title=f"Évolution {before} → {after}", title_justify="left")
    for name in DIFF_HEADER:
        table.add_column(name, justify="right" if name in ("Avant", "Après", "Écart") else "left")
    for row in rows:
        table.add_row(*row)
    render.console().print(table)


def main() -> None:
    """Entry point: exit codes are the documented ones, tracebacks only with --debug."""
    # pandera loads hypothesis (for its data-synthesis strategies, never used here) whenever it
    # is installed, as in a development environment: about 0.1 s of start-up saved.
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
    try:
        app()
    except ClausekitError as exc:  # raised under --debug only when asked
        if "--debug" in sys.argv:
            raise
        render.console(stderr=True).print(f"Erreur : {exc}", markup=False)
        sys.exit(int(exc.exit_code))
    except Interrupted:
        render.console(stderr=True).print(
            "Interrompu (Ctrl-C) : clausekit s'est arrêté. Un rapport interrompu en cours "
            "d'écriture laisse le précédent intact.",
            markup=False,
        )
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # a bug, not a user mistake: say so without a traceback
        if "--debug" in sys.argv:
            raise
        render.console(stderr=True).print(
            f"Erreur interne de clausekit ({type(exc).__name__}). Relancez avec --debug pour "
            "le détail et signalez-la.",
            markup=False,
        )
        sys.exit(int(ExitCode.INTERNAL))


def run() -> None:
    """The ``clausekit`` command: :func:`main`, then exit at once.

    Once the outputs are written, the exit handlers run (multiprocessing's clean-up of the
    readers' process server and its temporary folder) but not the interpreter's teardown,
    which frees pandas' and pyarrow's objects one by one for ~0.15 s of nothing.

    A reader (fork-server child) re-runs the main script unless it is a package's __main__:
    Typer and Click again per file (0.08 s CPU). The console script is ``-m clausekit``."""
    import atexit
    import importlib.util
    import os
    import signal
    import threading

    from clausekit.pipeline.worker import shutdown

    def interrupt(signum: int, frame: Any) -> None:
        raise Interrupted

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, interrupt)
    main_module = sys.modules["__main__"]
    if Path(getattr(main_module, "__file__", None) or "").name == "clausekit":  # the script
        main_module.__spec__ = importlib.util.find_spec("clausekit.__main__")
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"): what the interpreter would do
            print(exc.code, file=sys.stderr)
            code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clean-up is not interrupted
        shutdown()  # the readers: killed if still running, and reaped
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (clausekit … | head): nothing more to say
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
