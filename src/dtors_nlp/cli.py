"""The ``dtors-nlp`` command: parses arguments, calls the Python API, prints.

This is the only module that prints for a user or exits. Library errors (``DtorsError``) become a
one-line message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dtors_nlp import __version__
from dtors_nlp.errors import DtorsError

EXIT_BAD_INPUT = 2


class _Group(click.Group):
    """A click group that turns library errors into one-line messages with exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DtorsError as error:
            click.echo(f"dtors-nlp: error: {error}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            click.echo("dtors-nlp: interrupted; nothing partial was written", err=True)
            sys.exit(130)


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
    """Print the codebook: dimensions, codes and descriptions."""
    from rich.console import Console
    from rich.table import Table

    from dtors_nlp.codebook import load_codebook

    book = load_codebook(codebook_path)
    console = Console()
    console.print(f"[bold]{book.name}[/bold] {book.version}".rstrip())
    if book.description:
        console.print(book.description)
    for dimension in book.dimensions:
        kind = "multi-label" if dimension.multi_label else "single-label"
        table = Table(title=f"{dimension.name}: {dimension.label} ({kind})", title_justify="left")
        table.add_column("code", no_wrap=True)
        table.add_column("description")
        for code in dimension.codes:
            table.add_row(f"{dimension.name}/{code.name}", code.description)
        console.print(table)


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
    click.echo(f"wrote {out} ({len(book.codes)} codes in {len(book.dimensions)} dimensions)")


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


if __name__ == "__main__":
    main()
