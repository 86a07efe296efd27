"""An Evaluation for people: a table on the terminal, and a report folder a team can cite.

The folder holds ``report.json`` (every figure), ``reliability.png``, ``learning_curve.png`` and
``report.html``, a single self-contained page (images embedded) that says in one sentence what
each figure means. Files are written atomically and never overwritten without ``force``.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from datetime import date
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from dtors_nlp import __version__
from dtors_nlp.evaluate import RULES, Evaluation
from dtors_nlp.files import refuse_overwrite, write_atomically

if TYPE_CHECKING:
    from rich.table import Table

REPORT_FILES = ("report.json", "reliability.png", "learning_curve.png", "report.html")
FIGURES = ("precision", "recall", "f1", "kappa")
SHORT = {"precision": "P", "recall": "R", "f1": "F1", "kappa": "κ"}

EXPLAIN = {
    "suggested": "a code is suggested when it is shown to a coder at all (band review or likely)",
    "likely": "a code is likely when the model is confident enough that it could be accepted "
    "with a light check",
    "support": "how many held-out passages the human coders gave this code",
    "precision": "of the passages the model gave this code, the share the coders also gave it",
    "recall": "of the passages the coders gave this code, the share the model also gave it",
    "f1": "the balance of precision and recall (their harmonic mean)",
    "kappa": "Cohen's kappa: agreement between model and coders beyond chance "
    "(1 perfect, 0 no better than chance)",
    "alpha": "Krippendorff's alpha (nominal): agreement beyond chance as content analysts "
    "report it; 0.8 is the usual bar for firm conclusions, 0.667 for tentative ones; it falls "
    "below 0 when the model uses a code far more or less often than the coders",
    "macro": "the mean over the dimension's codes, each code counting equally",
    "micro": "all of the dimension's (passage, code) decisions pooled, so frequent codes weigh "
    "more",
    "most_probable": "the single-label dimension as plain classification: the most probable value, "
    "none included, as classification benchmarks report it",
    "reliability": "if the model were perfectly calibrated, the dots would lie on the diagonal: "
    "of the suggestions given 70% confidence, 70% would be right",
    "ece": "expected calibration error: the average gap between stated confidence and how often "
    "the code was right (0 is perfect)",
    "brier": "Brier score: the mean squared gap between each probability and what the coders "
    "decided (0 is perfect; lower is better)",
    "learning_curve": "macro-F1 measured on the same held-out interviews with the model trained on "
    "part of the coded passages: a curve still rising at the right means coding more would help",
    "triage": "how much coding work the bands could save: true codes found in the likely band, "
    "and passages with no suggestion at all that a coder might skip",
}


# --- terminal ----------------------------------------------------------------------------------


def print_evaluation(evaluation: Evaluation, console) -> None:
    """The per-code table, the headline numbers and the notes, on a rich Console."""
    from dtors_nlp.terminal import fit_codes

    console.print(
        fit_codes(console, list(evaluation.codes), lambda show: _codes_table_rich(evaluation, show))
    )
    for line in headline(evaluation):
        console.print(line)
    for note in notes(evaluation):
        console.print(f"Note: {note}")


def _codes_table_rich(evaluation: Evaluation, show: Callable[[str], str]) -> Table:
    from dtors_nlp.terminal import code_table

    table = code_table(
        "Per code, on held-out interviews: P R F1 κ when suggested, then when likely",
        ["n"] + [SHORT[figure] for _ in RULES for figure in FIGURES],
    )
    for code, row in evaluation.codes.items():
        cells = [_number(row[rule][figure]) for rule in RULES for figure in FIGURES]
        table.add_row(show(code), str(row["support"]), *cells)
    return table


def headline(evaluation: Evaluation) -> list[str]:
    """The figures a team would quote, one sentence each."""
    summary, calibration, triage = evaluation.summary, evaluation.calibration, evaluation.triage
    overall = triage["overall"]
    return [
        f"{summary['passages']} passages from {summary['transcripts']} transcripts, "
        f"{summary['folds']} folds grouped by transcript.",
        f"Macro-F1 over codes: {_number(summary['macro_f1']['suggested'])} (suggested), "
        f"{_number(summary['macro_f1']['likely'])} (likely).",
        f"Calibration: expected calibration error "
        f"{_number(calibration['expected_calibration_error'], 3)}, "
        f"Brier score {_number(calibration['brier_score'], 3)} "
        f"over {calibration['probabilities']} probabilities.",
        f"Likely band: holds {_percent(overall['share_in_likely'])} of the true codes, "
        f"{_percent(overall['precision_in_likely'])} of its codes are right.",
        f"Skippable: {_percent(triage['skippable_share'])} of passages get no suggestion; they "
        f"hold {triage['true_codes_in_skippable']} true codes "
        f"({_percent(triage['true_codes_in_skippable_share'])} of all).",
    ]


def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


# --- report folder -------------------------------------------------------------------------------


def check_report_folder(folder: Path, force: bool) -> None:
    """Refuse (OutputError) if the report would overwrite files and ``force`` is not set."""
    for name in REPORT_FILES:
        refuse_overwrite(folder / name, force)


def write_report(evaluation: Evaluation, folder: Path, force: bool = False) -> list[Path]:
    """Write the report folder; return the files written."""
    check_report_folder(folder, force)
    images = {"reliability.png": reliability_png(evaluation.calibration)}
    if len(evaluation.learning_curve) > 1:
        images["learning_curve.png"] = learning_curve_png(evaluation.learning_curve)
    contents: dict[str, str | bytes] = {
        "report.json": json.dumps(evaluation.to_dict(), indent=2),
        **images,
        "report.html": report_html(evaluation, images),
    }
    for name, content in contents.items():
        write_atomically(folder / name, content)
    return [folder / name for name in contents]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return buffer.getvalue()


def reliability_png(calibration: dict) -> bytes:
    """The reliability diagram: stated confidence against how often the code was right."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 5))
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    bins = calibration["bins"]
    axes.plot(
        [b["mean_probability"] for b in bins],
        [b["observed_rate"] for b in bins],
        marker="o",
        label="model",
    )
    for b in bins:
        axes.annotate(
            str(b["count"]),
            (b["mean_probability"], b["observed_rate"]),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=7,
            color="grey",
        )
    axes.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="stated probability (mean in each tenth)",
        ylabel="share the coders agreed with",
        title="Reliability diagram (numbers: predictions per bin)",
    )
    axes.legend(loc="upper left")
    return _png(figure)


def learning_curve_png(points: list[dict]) -> bytes:
    """Macro-F1 against the number of hand-coded training passages, for both rules."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    sizes = [p["training_passages"] for p in points]
    for rule in RULES:
        axes.plot(sizes, [p["macro_f1"][rule] for p in points], marker="o", label=rule)
    axes.set(
        ylim=(0, 1),
        xlabel="hand-coded passages the model learned from",
        ylabel="macro-F1 on held-out interviews",
        title="Learning curve",
    )
    axes.legend()
    return _png(figure)


# --- HTML ----------------------------------------------------------------------------------------


def report_html(evaluation: Evaluation, images: dict[str, bytes]) -> str:
    """The self-contained HTML report."""
    template = Template(
        resources.files("dtors_nlp").joinpath("evaluate_report.html").read_text("utf-8")
    )
    return template.substitute(
        title=html.escape(f"Evaluation: {evaluation.summary['codebook']}"),
        generated=html.escape(f"{date.today().isoformat()}, dtors-nlp {__version__}"),
        headline="".join(f"<li>{html.escape(line)}</li>" for line in headline(evaluation)),
        rules="".join(f"<li><b>{rule}</b>: {EXPLAIN[rule]}.</li>" for rule in RULES),
        figures=_definitions(["support", *FIGURES, "alpha"]),
        codes=_codes_table(evaluation),
        dimension_figures=_definitions(["macro", "micro", "alpha", "most_probable"]),
        dimensions=_dimensions_table(evaluation),
        calibration=_definitions(["reliability", "ece", "brier"]),
        reliability=_image(images["reliability.png"], "Reliability diagram"),
        learning_text=EXPLAIN["learning_curve"],
        learning_curve=(
            _image(images["learning_curve.png"], "Learning curve")
            if "learning_curve.png" in images
            else "<p>Not computed (too few passages, or switched off).</p>"
        ),
        triage_text=EXPLAIN["triage"],
        notes=_notes(evaluation),
    )


def _definitions(names: list[str]) -> str:
    return "".join(f"<li><b>{name}</b>: {EXPLAIN[name]}.</li>" for name in names)


def _image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{alt}" src="data:image/png;base64,{data}">'


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _codes_table(evaluation: Evaluation) -> str:
    header = ["code", "support"] + [f"{rule} {figure}" for rule in RULES for figure in FIGURES]
    header.append("alpha (suggested)")
    rows = [
        [code, str(row["support"])]
        + [_number(row[rule][figure]) for rule in RULES for figure in FIGURES]
        + [_number(row["suggested"]["alpha"])]
        for code, row in evaluation.codes.items()
    ]
    return _table(header, rows)


def _dimensions_table(evaluation: Evaluation) -> str:
    header = ["dimension", "kind", "support"]
    header += [f"{rule} {part}" for rule in RULES for part in ("macro-F1", "micro-F1", "alpha")]
    header += ["most probable: accuracy", "most probable: macro-F1"]
    rows = []
    for name, row in evaluation.dimensions.items():
        cells = [
            name,
            "single-label" if row["single_label"] else "multi-label",
            str(row["support"]),
        ]
        for rule in RULES:
            figures = row[rule]
            cells += [_number(figures["macro"]["f1"]), _number(figures["micro"]["f1"])]
            cells.append(_number(figures["alpha"]))
        most = row.get("most_probable", {})
        cells += [_number(most.get("accuracy")), _number(most.get("macro_f1"))]
        rows.append(cells)
    return _table(header, rows)


def notes(evaluation: Evaluation) -> list[str]:
    """What limits the figures: codes not evaluated or not learned, shares not trained..."""
    summary = evaluation.summary
    found = []
    if summary["codes_without_examples"]:
        found.append(
            "Codes with no coded example (not evaluated): "
            + ", ".join(summary["codes_without_examples"])
        )
    if summary["untrained_in_folds"]:
        found.append(
            "Codes with too few examples to be learned in some folds (never suggested there): "
            + ", ".join(f"{code} ({n} folds)" for code, n in summary["untrained_in_folds"].items())
        )
    for share in summary["learning_curve_left_out"]:
        found.append(
            f"Learning curve: no point at {_percent(share['fraction'])} of each training part "
            f"({share['problem']})."
        )
    if summary["passages_without_transcript"]:
        found.append(
            f"{summary['passages_without_transcript']} passages had no transcript and were "
            "spread over the folds at random."
        )
    return found


def _notes(evaluation: Evaluation) -> str:
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes(evaluation))
    return items or "<li>None.</li>"
