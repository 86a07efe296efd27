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


if __name__ == "__main__":
    main()
