"""Tables of codes for the terminal: code names are never cut short or split mid-word."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

UNLIMITED = 100_000  # columns: to measure how wide a table wants to be

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def fit_codes(
    console: Console, codes: Sequence[str], build: Callable[[Callable[[str], str]], Table]
) -> Table:
    """The table ``build(show)`` makes, where ``show`` gives a code's cell: the code on one line,
    or, if the table cannot fit the console so, broken after its ``/`` when too long for it.

    ``build`` should give the code column ``no_wrap=True``, so that no code is ever cut; other
    columns may wrap.
    """
    table = build(str)
    needed = console.measure(table, options=console.options.update_width(UNLIMITED)).minimum
    if needed <= console.width:
        return table
    broken = {code: code.replace("/", "/\n", 1) for code in codes}
    parts = [len(part) for lines in broken.values() for part in lines.split("\n")]
    longest = max(max(map(len, codes)) - (needed - console.width), *parts)
    return build(lambda code: code if len(code) <= longest else broken[code])


def code_table(title: str, columns: Sequence[str]) -> Table:
    """A compact table whose first column holds whole code names, then right-aligned figures."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 0, 0, 1),
        pad_edge=False,
        show_edge=False,
    )
    table.add_column("code", no_wrap=True)
    for column in columns:
        table.add_column(column, justify="right")
    return table
