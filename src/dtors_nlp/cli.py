"""The ``dtors-nlp`` command: parses arguments, calls the Python API, prints.

This is the only module that prints for a user or exits. Library errors (``DtorsError``) become a
one-line message on stderr and exit code 2, never a traceback; the library's warnings become
one-line notes. Ctrl-C (SIGINT) and a kill (SIGTERM) both stop a command through
KeyboardInterrupt, so that its clean-up runs and no partial output is left (exit code 130).
"""

from __future__ import annotations

import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dtors_nlp import __version__
from dtors_nlp.errors import DtorsError

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from dtors_nlp.codebook import Code, Codebook
    from dtors_nlp.coded import CodedPassage
    from dtors_nlp.model import CodeSuggester

EXIT_BAD_INPUT = 2


class _QuietOption:
    """Adds -q/--quiet to a command, so that it may come after the command's name too."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(
            click.Option(
                ["--quiet", "-q"],
                is_flag=True,
                expose_value=False,
                callback=_set_quiet,
                help="No progress bars or chatter.",
            )
        )


def _set_quiet(ctx: click.Context, param: click.Parameter, quiet: bool) -> None:
    from dtors_nlp import progress

    if quiet:
        progress.quiet = True


class _Command(_QuietOption, click.Command):
    """A command taking -q/--quiet after its name."""


class _Subgroup(_QuietOption, click.Group):
    """A group of commands, each taking -q/--quiet after its name."""

    command_class = _Command


class _Group(click.Group):
    """A click group that turns library errors into one-line messages with exit code 2."""

    command_class = _Command
    group_class = _Subgroup

    def invoke(self, ctx: click.Context):
        on_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _interrupt) if on_main_thread else None
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_note
                return super().invoke(ctx)
        except DtorsError as error:
            click.echo(f"dtors-nlp: error: {error}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            click.echo("dtors-nlp: interrupted; nothing partial was written", err=True)
            sys.exit(130)
        finally:
            if on_main_thread:
                signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM handler: stop as Ctrl-C does, so that ``finally`` blocks clean up."""
    raise KeyboardInterrupt


_python_showwarning = warnings.showwarning


def _show_note(message, category, filename, lineno, file=None, line=None) -> None:
    """The library's warnings as one-line notes on stderr; others as Python shows them."""
    if category.__module__.startswith("dtors_nlp"):
        click.echo(f"dtors-nlp: note: {message}", err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dtors-nlp")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or chatter.")
def main(quiet: bool) -> None:
    """Suggest qualitative codes for interview transcripts, with calibrated confidence.

    Typical use: `dtors-nlp annotate interviews/ --out draft/`, then open the draft in your
    QDA program or review page, and feed corrections back with `dtors-nlp train`.
    """
    from dtors_nlp import progress

    progress.quiet = quiet


# --- codebook ---------------------------------------------------------------------------------


@main.group()
def codebook() -> None:
    """Show or export the codebook."""


CODEBOOK_OPTION = click.option(
    "--codebook",
    "codebook_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A codebook file (.yaml, .qdc or .qdpx); default: the DTORS codebook.",
)


@codebook.command("show")
@CODEBOOK_OPTION
def codebook_show(codebook_path: Path | None) -> None:
    """Print the codebook: dimensions, codes, descriptions, inclusion and exclusion notes,
    keywords and the notes for coders."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from dtors_nlp.codebook import load_codebook

    book = load_codebook(codebook_path)
    console = Console()
    console.print(Text(book.name, style="bold") + Text(f" {book.version}".rstrip()))
    if book.description:
        console.print(Text(book.description))
    if book.notes:
        console.print(Text("Notes for coders", style="bold"))
        console.print(Text(book.notes))
    for dimension in book.dimensions:
        kind = "multi-label" if dimension.multi_label else "single-label"
        noted = any(code.include or code.exclude or code.keywords for code in dimension.codes)
        title = f"{dimension.name}: {dimension.label} ({kind})"
        table = Table(title=title, title_justify="left", show_lines=noted)
        table.add_column("code", no_wrap=True)
        table.add_column("description")
        for code in dimension.codes:
            table.add_row(f"{dimension.name}/{code.name}", _code_text(code))
        console.print(table)


def _code_text(code: Code) -> Text:
    """A code's description, then its notes and keywords, each on a line of its own."""
    from rich.text import Text

    text = Text(code.description)
    notes = (("Include", code.include), ("Exclude", code.exclude))
    for label, value in (*notes, ("Keywords", ", ".join(code.keywords))):
        if value:
            text.append("\n" if text else "").append(f"{label}: ", style="bold").append(value)
    return text


@codebook.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@CODEBOOK_OPTION
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def codebook_export(out: Path, codebook_path: Path | None, force: bool) -> None:
    """Write the codebook to OUT: REFI-QDA .qdc (for QDA programs) or .yaml (to edit)."""
    from dtors_nlp.codebook import load_codebook, write_codebook_yaml
    from dtors_nlp.files import refuse_overwrite

    book = load_codebook(codebook_path)
    refuse_overwrite(out, force)
    suffix = out.suffix.lower()
    if suffix == ".qdc":
        from dtors_nlp.refi.codebook import write_qdc

        write_qdc(book, out)
    elif suffix in {".yaml", ".yml"}:
        write_codebook_yaml(book, out)
    else:
        raise DtorsError(f"unknown codebook format {suffix!r} (use .qdc or .yaml)", out)
    _wrote(f"{out} ({len(book.codes)} codes in {len(book.dimensions)} dimensions)")


# --- train and annotate -----------------------------------------------------------------------

IGNORE_UNKNOWN_CODES_OPTION = click.option(
    "--ignore-unknown-codes",
    is_flag=True,
    help="Drop codes that are not in the codebook (they are listed) instead of stopping.",
)


def _prior_options(command):
    """--prior and --prior-weight: coded passages learned from beside the training data."""
    command = click.option(
        "--prior-weight",
        default=0.3,
        show_default=True,
        help="Weight of each prior passage in training (one of your passages: 1).",
    )(command)
    return click.option(
        "--prior",
        default="auto",
        show_default=True,
        help="Coded passages to learn from beside DATA, never scored: 'auto' (the starter "
        "training set, for the DTORS codebook), 'none', or a file or folder of coded data.",
    )(command)


def _prior_data(prior: str) -> str | Path | None:
    return {"auto": "auto", "none": None}.get(prior.lower(), Path(prior))


NO_CACHE_OPTION = click.option(
    "--no-cache",
    is_flag=True,
    help="Keep no embeddings of this run's texts on disk (see docs/privacy.md).",
)

ACCURATE_OPTION = click.option(
    "--accurate",
    is_flag=True,
    help="all-mpnet-base-v2 as the sentence model: better rankings on real speech, about five "
    "times slower; the model must be installed first (see docs/evaluation.md).",
)


def _check_jobs(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value == 0:
        raise DtorsError("--jobs 0: give a number of processes, or -1 for one per core")
    return value


JOBS_OPTION = click.option(
    "--jobs",
    default=-1,
    show_default=True,
    callback=_check_jobs,
    help="Processes fitting the model (-1: one per core; 1: this one only); the model is the "
    "same either way.",
)


def _sentence_model(embedder: Path | None, accurate: bool) -> Path | str | None:
    """The --embedder folder, or the accurate mode's model name for --accurate."""
    if not accurate:
        return embedder
    if embedder:
        raise DtorsError("--accurate sets the sentence model: leave out --embedder")
    from dtors_nlp.accurate_model import NAME

    return NAME


def _embedder(folder: Path | str | None, no_cache: bool):
    """The --embedder folder as given, or an Embedder without the on-disk cache (--no-cache)."""
    if not no_cache:
        return folder
    from dtors_nlp.embed import Embedder

    return Embedder(folder, cache=False)


@main.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Model folder to create.",
)
@CODEBOOK_OPTION
@click.option("--name", help="How the model names itself in drafts (default: the folder name).")
@click.option(
    "--embedder",
    type=click.Path(file_okay=False, path_type=Path),
    help="A local sentence-transformers folder, or a model name already in your Hugging Face "
    "cache, never downloaded (default: the bundled MiniLM).",
)
@click.option(
    "--likely-precision",
    default=0.90,
    show_default=True,
    help="Precision the 'likely' band aims at.",
)
@click.option(
    "--review-recall", default=0.80, show_default=True, help="Recall the 'review' band aims at."
)
@click.option(
    "--min-examples",
    default=5,
    show_default=True,
    help="Codes with fewer coded passages are never suggested.",
)
@ACCURATE_OPTION
@JOBS_OPTION
@_prior_options
@IGNORE_UNKNOWN_CODES_OPTION
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@NO_CACHE_OPTION
def train(
    data,
    out,
    codebook_path,
    name,
    embedder,
    accurate,
    jobs,
    likely_precision,
    review_recall,
    min_examples,
    prior,
    prior_weight,
    ignore_unknown_codes,
    force,
    no_cache,
) -> None:
    """Train a model from hand-coded passages: CSV, JSONL, review CSVs, REFI-QDA .qdpx."""
    from dtors_nlp.codebook import load_codebook
    from dtors_nlp.files import refuse_overwrite
    from dtors_nlp.model import CodeSuggester

    refuse_overwrite(out, force)
    embedder = _sentence_model(embedder, accurate)
    book = load_codebook(codebook_path)
    passages = _load_training_data(data, book, ignore_unknown_codes)
    _say(f"training on {len(passages)} passages from {len(data)} input(s)")
    model = CodeSuggester(
        codebook=book,
        embedder=_embedder(embedder, no_cache),
        likely_precision=likely_precision,
        review_recall=review_recall,
        min_examples=min_examples,
        prior_data=_prior_data(prior),
        prior_weight=prior_weight,
        name=name or out.name,
        n_jobs=jobs,
    ).fit_coded(passages)
    model.save(out, force=force)
    _print_training_figures(model)
    model.embedder_.close()
    _wrote(f"model {out}")


def _training_figures(model: CodeSuggester, show: Callable[[str], str]) -> Table:
    from dtors_nlp.terminal import code_table

    table = code_table(
        "Out-of-fold figures (each passage scored by a model that did not see it)",
        ("passages", "precision", "recall", "F1", "likely precision"),
    )
    for code in model.codes:
        figures = model.metrics_[code]
        suggested = figures["suggested"]
        table.add_row(
            show(code),
            str(figures["support"]),
            f"{suggested['precision']:.2f}",
            f"{suggested['recall']:.2f}",
            f"{suggested['f1']:.2f}",
            f"{figures['likely']['precision']:.2f}",
        )
    return table


def _load_training_data(
    data: Sequence[Path], book: Codebook, ignore_unknown_codes: bool
) -> list[CodedPassage]:
    """Hand-coded passages; codes not in ``book`` refused, or dropped and listed."""
    from dtors_nlp.coded import drop_unknown_codes, load_coded

    passages = load_coded(data, book, check_codes=not ignore_unknown_codes)
    if ignore_unknown_codes:
        passages, dropped = drop_unknown_codes(passages, book)
        for code, count in sorted(dropped.items()):
            _say(f"dropped unknown code {code!r} ({count} passages)")
    return passages


def _print_training_figures(model: CodeSuggester) -> None:
    from rich.console import Console

    from dtors_nlp.terminal import fit_codes

    console = Console()
    console.print(fit_codes(console, model.codes, lambda show: _training_figures(model, show)))
    for code, count in model.untrained_codes_.items():
        click.echo(
            f"not suggested: {code} has only {count} coded passages (needs {model.min_examples})"
        )


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Draft folder to write (created if needed).",
)
@click.option(
    "--model",
    "model_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Model folder (default: the starter model shipped with dtors-nlp).",
)
@click.option(
    "--format",
    "formats",
    default="jsonl,csv",
    show_default=True,
    help="Comma-separated outputs: jsonl, csv, qdpx (REFI-QDA), html (review page).",
)
@click.option(
    "--per-transcript",
    is_flag=True,
    help="One .qdpx / .html per transcript instead of one for the batch.",
)
@click.option(
    "--embedder",
    type=click.Path(file_okay=False, path_type=Path),
    help="The sentence model folder the model was trained with, if not the bundled one.",
)
@click.option("--force", is_flag=True, help="Recode every transcript; replace another draft.")
@click.option(
    "--fast",
    is_flag=True,
    help="The starter model on static embeddings distilled from MiniLM: many times faster, "
    "somewhat less accurate (see docs/performance.md).",
)
@ACCURATE_OPTION
@click.option(
    "--expect-model",
    metavar="FINGERPRINT",
    help="Refuse any model without this fingerprint (full or its first 12 digits; see "
    "`dtors-nlp model info`).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on the dask.distributed cluster whose scheduler is at ADDRESS (tcp://host:8786); "
    'needs pip install "dtors-nlp[dask]" (see docs/scaling.md).',
)
@NO_CACHE_OPTION
def annotate(
    inputs,
    out,
    model_dir,
    formats,
    per_transcript,
    embedder,
    force,
    fast,
    accurate,
    expect_model,
    scheduler,
    no_cache,
) -> None:
    """Pre-code transcripts (files or folders, recursively) into a draft folder."""
    from dtors_nlp.annotate import annotate as run
    from dtors_nlp.persist import (
        CodebookChangedWarning,
        codebook_in_use_note,
        load_model,
        starter_mode,
    )

    if fast and accurate:
        raise DtorsError("--fast and --accurate exclude each other: choose one")
    if fast or accurate:
        mode = "fast" if fast else "accurate"
        if model_dir or embedder:
            raise DtorsError(
                f"--{mode} uses the {mode} starter model: leave out --model and --embedder"
            )
        model_dir, embedder = starter_mode(mode)
    client = _dask_client(scheduler)
    with warnings.catch_warnings():  # said once the draft is written, not before an error
        warnings.simplefilter("ignore", CodebookChangedWarning)
        model = load_model(model_dir, embedder=_embedder(embedder, no_cache))
    try:
        report = run(
            inputs,
            out,
            model,
            formats.split(","),
            force=force,
            per_transcript=per_transcript,
            expect_model=expect_model,
            client=client,
        )
    finally:
        model.embedder_.close()
        if client is not None:
            client.close()
    for path, problem in report.skipped:
        click.echo(f"dtors-nlp: skipped {path}: {problem}", err=True)
    _say(
        f"{len(report.coded)} transcripts coded, {len(report.reused)} reused from an "
        f"earlier run, {len(report.skipped)} skipped; {report.suggestions} suggestions"
    )
    note = codebook_in_use_note(model)
    if note:
        click.echo(f"dtors-nlp: note: {note}", err=True)
    for path in report.outputs:
        _wrote(str(path))


def _dask_client(scheduler: str | None):
    """A client of the --scheduler cluster, or None to run here."""
    if scheduler is None:
        return None
    from dtors_nlp.distributed import connect

    return connect(scheduler)


@main.group()
def cache() -> None:
    """The embedding cache (vectors derived from interview text, kept on this machine)."""


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached sentence vector and sentence boundary."""
    from dtors_nlp.cache import clear_cache
    from dtors_nlp.embed import default_cache_dir

    removed = clear_cache(default_cache_dir())
    click.echo(f"removed {len(removed)} cache file(s) from {default_cache_dir()}")


@cache.command("info")
def cache_info() -> None:
    """Where the cache is and how big it is."""
    from dtors_nlp.cache import cache_files
    from dtors_nlp.embed import default_cache_dir

    folder = default_cache_dir()
    files = cache_files(folder)
    size = sum(f.stat().st_size for f in files)
    click.echo(f"{folder}: {len(files)} file(s), {size / 1e6:.1f} MB")


def _say(message: str) -> None:
    """Chatter for people at a terminal; silent with --quiet."""
    from dtors_nlp import progress

    if not progress.quiet:
        click.echo(message, err=True)


def _wrote(what: str) -> None:
    """Say on stdout what was written; silent with --quiet."""
    from dtors_nlp import progress

    if not progress.quiet:
        click.echo(f"wrote {what}")


# --- provenance: model info, verify, methods ---------------------------------------------------


@main.group()
def model() -> None:
    """Describe a model folder."""


@model.command("info")
@click.argument("model_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def model_info(model_dir: Path | None, as_json: bool) -> None:
    """Check MODEL_DIR (default: the starter model) against its fingerprint and describe it:
    codebook, sentence model, training data, out-of-fold figures per dimension."""
    from dtors_nlp.provenance import model_info as describe

    info = describe(model_dir)
    if as_json:
        import json

        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    _print_model_info(info)


def _print_model_info(info: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    trained, codebook, embedder = info["trained_on"], info["codebook"], info["embedder"]
    recorded = "" if info["fingerprint_recorded"] else " (computed: saved by an older dtors-nlp)"
    for label, value in (
        ("model", f"{info['name']} ({info['folder']})"),
        ("fingerprint", f"{info['fingerprint']}{recorded}"),
        ("codebook", f"{codebook['name']} {codebook['version']} (sha256 {codebook['sha256']})"),
        ("sentence model", f"{embedder['name']} (hash {embedder['hash']})"),
        ("trained", f"{trained['date']} with dtors-nlp {trained['library_version']}"),
        ("training data", f"{trained['passages']} passages, {trained['transcripts']} transcripts"),
        ("never suggested", ", ".join(info["untrained_codes"]) or "none"),
    ):
        click.echo(f"{label + ':':17}{value}")
    table = Table(title="Out-of-fold figures per dimension (mean over its codes)")
    for column in ("dimension", "codes", "codings", "precision", "recall", "F1", "likely R"):
        table.add_column(column, justify="left" if column == "dimension" else "right")
    for dimension, row in info["out_of_fold"].items():
        suggested = row["suggested"]
        figures = (suggested["precision"], suggested["recall"], suggested["f1"])
        table.add_row(
            dimension,
            str(row["codes"]),
            str(row["codings"]),
            *(f"{figure:.2f}" for figure in (*figures, row["likely"]["recall"])),
        )
    Console().print(table)


@main.command()
@click.argument("draft", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--inputs-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Look up the input transcripts under this folder (default: where annotate ran).",
)
def verify(draft: Path, inputs_root: Path | None) -> None:
    """Check a draft folder against its manifest: are its inputs and outputs unchanged?

    Exit 0 when every file is unchanged, 1 when one is changed or missing.
    """
    from rich.console import Console
    from rich.table import Table

    from dtors_nlp.provenance import short, verify_draft

    check = verify_draft(draft, inputs_root)
    model = check.manifest["model"]
    click.echo(f"draft {draft}: model {model['name']}, fingerprint {short(model['fingerprint'])}")
    table = Table("status", "file", "path")
    for file in check.files:
        table.add_row(file.status, file.role, file.path)
    Console().print(table)
    bad = [file for file in check.files if file.status != "unchanged"]
    click.echo(
        f"all {len(check.files)} files unchanged"
        if not bad
        else f"{len(bad)} of {len(check.files)} files changed or missing"
    )
    if bad:
        sys.exit(1)


@main.command()
@click.argument("draft", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "text_format",
    type=click.Choice(["md", "txt"]),
    default="md",
    show_default=True,
    help="Markdown or plain text.",
)
@click.option(
    "--evaluation",
    type=click.Path(file_okay=False, path_type=Path),
    help="An `evaluate --report` folder: adds the cross-validated kappa and alpha.",
)
def methods(draft: Path, text_format: str, evaluation: Path | None) -> None:
    """Print a methods paragraph for a draft folder, to paste into a paper and adapt."""
    from dtors_nlp.methods import methods_text

    click.echo(methods_text(draft, text_format, evaluation), nl=False)


# --- inspect ----------------------------------------------------------------------------------


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option(
    "--interviewer",
    "interviewers",
    multiple=True,
    metavar="LABEL",
    help="This speaker is an interviewer, whatever the inference says (repeatable).",
)
@click.option("--transcript", "transcript_id", help="Which transcript of a table to show (its id).")
@click.option(
    "--monologue", is_flag=True, help="Read a text without speaker labels as one account."
)
@click.option(
    "--segmenter",
    type=click.Choice(["fast", "spacy"]),
    default="fast",
    show_default=True,
    help="Sentence splitter: rule-based, or spaCy's small English pipeline.",
)
def inspect(file, as_json, interviewers, transcript_id, monologue, segmenter) -> None:
    """Show how FILE is read: metadata, speakers with roles, turns and passages with offsets."""
    from dtors_nlp.transcripts import load_transcript

    transcript = load_transcript(
        file,
        transcript_id,
        roles=dict.fromkeys(interviewers, "interviewer"),
        monologue=monologue,
        segmenter=segmenter,
    )
    if as_json:
        import json

        click.echo(json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{transcript.id}[/bold] ({transcript.source}), {len(transcript.text)} characters"
    )
    tables = {
        "metadata": (("key", "value"), transcript.metadata.items()),
        "speakers": (
            ("speaker", "role", "turns"),
            [
                (speaker, role, str(sum(turn.speaker == speaker for turn in transcript.turns)))
                for speaker, role in transcript.speakers.items()
            ],
        ),
        "turns": (
            ("#", "speaker", "role", "start", "end", "text"),
            [
                (str(i), turn.speaker, turn.role, str(turn.start), str(turn.end), _clip(turn.text))
                for i, turn in enumerate(transcript.turns)
            ],
        ),
        "passages": (
            ("#", "turn", "start", "end", "speaker", "text", "context"),
            [
                (
                    str(i),
                    str(p.turn),
                    str(p.start),
                    str(p.end),
                    p.speaker,
                    _clip(p.text),
                    _clip(p.context),
                )
                for i, p in enumerate(transcript.passages)
            ],
        ),
    }
    for title, (columns, rows) in tables.items():
        if not rows:
            continue
        table = Table(*columns, title=title, title_justify="left")
        for row in rows:
            table.add_row(*row)
        console.print(table)


def _clip(text: str, width: int = 80) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# --- evaluate and next-to-code -----------------------------------------------------------------


@main.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--folds", default=5, show_default=True, help="Folds, grouped by transcript.")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for report.json, report.html and the plots.",
)
@CODEBOOK_OPTION
@click.option(
    "--learning-curve/--no-learning-curve",
    default=True,
    show_default=True,
    help="Also train on 20-80% of each training part (takes about three times longer).",
)
@ACCURATE_OPTION
@JOBS_OPTION
@_prior_options
@IGNORE_UNKNOWN_CODES_OPTION
@click.option("--force", is_flag=True, help="Overwrite the report's files if they exist.")
def evaluate(
    data,
    folds,
    report_dir,
    codebook_path,
    learning_curve,
    accurate,
    jobs,
    prior,
    prior_weight,
    ignore_unknown_codes,
    force,
) -> None:
    """Cross-validate a training set, folds grouped by transcript: agreement, calibration,
    triage and a learning curve, as a table and optionally a report folder."""
    from rich.console import Console

    from dtors_nlp.codebook import load_codebook
    from dtors_nlp.embed import Embedder
    from dtors_nlp.evaluate import evaluate as run
    from dtors_nlp.evaluate_report import check_report_folder, print_evaluation, write_report
    from dtors_nlp.model import CodeSuggester

    if report_dir:
        check_report_folder(report_dir, force)
    book = load_codebook(codebook_path)
    passages = _load_training_data(data, book, ignore_unknown_codes)
    _say(f"cross-validating {len(passages)} passages in {folds} folds")
    with Embedder(_sentence_model(None, accurate)) as embedder:
        estimator = CodeSuggester(
            codebook=book,
            embedder=embedder,
            prior_data=_prior_data(prior),
            prior_weight=prior_weight,
            n_jobs=jobs,
        )
        evaluation = run(estimator, passages, folds=folds, learning_curve=learning_curve)
    print_evaluation(evaluation, Console())
    for path in write_report(evaluation, report_dir, force=force) if report_dir else []:
        _wrote(str(path))


@main.command("next-to-code")
@click.argument("data", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--pool",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="Uncoded transcripts, files or folders (repeat the option for several).",
)
@click.option("-n", "count", default=50, show_default=True, help="Passages to propose.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The coding sheet to write (CSV).",
)
@click.option(
    "--model",
    "model_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Use this trained model instead of training on DATA (DATA is then only left out).",
)
@CODEBOOK_OPTION
@JOBS_OPTION
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def next_to_code(data, pool, count, out, model_dir, codebook_path, jobs, force) -> None:
    """Propose the pool passages whose coding would help the model most, as a coding sheet.

    Fill the sheet's `codes` column (empty: no code applies), delete the rows you did not code,
    and train with the sheet added to DATA.
    """
    from dtors_nlp.codebook import load_codebook
    from dtors_nlp.coded import load_coded
    from dtors_nlp.files import refuse_overwrite
    from dtors_nlp.next_to_code import rank_for_coding, write_coding_sheet
    from dtors_nlp.persist import load_model
    from dtors_nlp.transcripts import load_transcripts

    if not data and not model_dir:
        raise DtorsError("give hand-coded DATA to train on, or a trained --model")
    refuse_overwrite(out, force)
    chosen_codebook = load_codebook(codebook_path) if codebook_path else None
    model = load_model(model_dir, codebook=chosen_codebook) if model_dir else None
    book = model.codebook_ if model else load_codebook(codebook_path)
    coded = load_coded(data, book)
    candidates = rank_for_coding(
        model or coded,
        load_transcripts(pool),
        count,
        book,
        exclude=[p.text for p in coded],
        n_jobs=jobs,
    )
    write_coding_sheet(candidates, out, force=force)
    _wrote(f"{out} ({len(candidates)} passages to code)")


# --- agree and audit --------------------------------------------------------------------------


@main.command()
@click.argument("a", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("b", type=click.Path(dir_okay=False, path_type=Path))
@CODEBOOK_OPTION
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for agreement.csv, disagreements.csv (to discuss) and report.json.",
)
@click.option("--force", is_flag=True, help="Overwrite the report's files if they exist.")
def agree(a: Path, b: Path, codebook_path: Path | None, report_dir: Path | None, force) -> None:
    """Agreement between two coders' codings of the same transcripts (.qdpx or coded CSV):
    per code, dimension and overall percent agreement, Cohen's kappa, Krippendorff's alpha."""
    from dtors_nlp.codebook import load_codebook
    from dtors_nlp.intercoder import agreement, write_report

    book = load_codebook(codebook_path) if codebook_path else None
    result = agreement(a, b, book)
    _print_agreement(result)
    for path in write_report(result, report_dir, force=force) if report_dir else []:
        _wrote(str(path))


def _print_agreement(result) -> None:
    from rich.console import Console

    from dtors_nlp.terminal import fit_codes

    console = Console()
    console.print(
        fit_codes(console, list(result.codes), lambda show: _agreement_table(result, show))
    )
    click.echo(
        f"{len(result.units)} passages in both codings, {len(result.disagreements())} "
        "disagreements (passage and code)"
    )
    for coder, names in (("A", result.only_a), ("B", result.only_b)):
        if names:
            click.echo(f"only in {coder}, not compared: {', '.join(names)}")
    if result.unmatched:
        click.echo(f"{len(result.unmatched)} passages coded by one coder only, not compared")


def _agreement_table(result, show: Callable[[str], str]) -> Table:
    from dtors_nlp.terminal import code_table

    def cell(value) -> str:
        return "-" if value is None else f"{value:.2f}"

    table = code_table(
        "Agreement per code, dimension and overall (units: passages)",
        ("A", "B", "% agree", "kappa", "alpha"),
    )
    for code, row in result.codes.items():
        counts = (str(row["coder_a"]), str(row["coder_b"]))
        figures = (row["percent_agreement"], row["kappa"], row["alpha"])
        table.add_row(_fold_nested(show(code)), *counts, *map(cell, figures))
    for name, row in [*result.dimensions.items(), ("overall", result.overall)]:
        figures = (row["percent_agreement"], row["kappa"], row["alpha"])
        table.add_row(_fold_nested(show(name)), "", "", *map(cell, figures), style="bold")
    return table


def _fold_nested(label: str, width: int = 40) -> str:
    """A deeply nested code (``dimension/a__b__c``) broken after each ``__`` on lines longer
    than ``width``, so that the figures beside it keep their columns."""
    return "\n".join(
        line.replace("__", "__\n") if len(line) > width else line for line in label.split("\n")
    )


@main.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the doubted codings to this CSV (with the nearest passages coded the other way).",
)
@click.option("-n", "count", default=50, show_default=True, help="Codings to list.")
@click.option("--folds", default=5, show_default=True, help="Folds, grouped by transcript.")
@CODEBOOK_OPTION
@ACCURATE_OPTION
@JOBS_OPTION
@_prior_options
@IGNORE_UNKNOWN_CODES_OPTION
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def audit(
    data,
    out,
    count,
    folds,
    codebook_path,
    accurate,
    jobs,
    prior,
    prior_weight,
    ignore_unknown_codes,
    force,
) -> None:
    """List the hand codings an out-of-fold model doubts most: possible slips to review.

    A doubted coding is a question for the team, not an error (see docs/audit.md).
    """
    from dtors_nlp.audit import audit as run
    from dtors_nlp.audit import write_audit
    from dtors_nlp.codebook import load_codebook
    from dtors_nlp.embed import Embedder
    from dtors_nlp.files import refuse_overwrite

    if out:
        refuse_overwrite(out, force)
    book = load_codebook(codebook_path)
    passages = _load_training_data(data, book, ignore_unknown_codes)
    _say(f"auditing {len(passages)} passages in {folds} folds")
    with Embedder(_sentence_model(None, accurate)) as embedder:
        result = run(
            passages,
            book,
            n=count,
            folds=folds,
            embedder=embedder,
            prior_data=_prior_data(prior),
            prior_weight=prior_weight,
            n_jobs=jobs,
        )
    for rank, doubt in enumerate(result.doubts, start=1):
        click.echo(
            f"{rank:>3}. {doubt.code} {doubt.doubt} (p={doubt.probability:.2f}, "
            f"{doubt.surprise:.1f} bits) [{doubt.transcript}] {_clip(doubt.text, 70)}"
        )
    click.echo(
        f"checked {result.codings_checked:,} codings ({result.passages} passages x "
        f"{len(result.codes_checked)} codes), each by a model that did not see the passage; "
        f"listed the {len(result.doubts)} most doubted"
    )
    if result.codes_too_rare:
        rare = ", ".join(f"{code} ({n})" for code, n in result.codes_too_rare.items())
        click.echo(f"judged by how often they are used, too rare for a model to learn: {rare}")
    if out:
        write_audit(result, out, force=force)
        _wrote(f"{out} ({len(result.doubts)} doubted codings)")


if __name__ == "__main__":
    main()
