"""A methods paragraph for a draft, from its manifest: for researchers to paste and adapt.

Everything stated comes from the draft's ``manifest.json`` (and, when given, an evaluation
report's ``report.json``). What the tool cannot know, how the team reviewed the suggestions, is
left as a bracketed placeholder for the team to fill in, never stated as a fact.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path

from dtors_nlp.errors import DtorsError
from dtors_nlp.provenance import MANIFEST, read_manifest, sha256_file

FORMATS = ("md", "txt")


def methods_text(
    draft: str | PathLike[str],
    format: str = "md",
    evaluation: str | PathLike[str] | None = None,
) -> str:
    """The paragraph for ``draft`` (a draft folder) as Markdown (``md``) or plain text (``txt``).

    ``evaluation``: an ``evaluate --report`` folder, for the cross-validated kappa and alpha.
    """
    if format not in FORMATS:
        raise DtorsError(f"unknown format {format!r} (use {' or '.join(FORMATS)})")
    manifest = read_manifest(draft)
    md = format == "md"
    try:
        parts = [
            _software(manifest, md),
            _model(manifest["model"], md),
            _calibration(manifest["model"]),
            _out_of_fold(manifest["model"]["out_of_fold"]),
        ]
    except (KeyError, TypeError):
        raise DtorsError("damaged (a field is missing)", Path(draft) / MANIFEST) from None
    if evaluation is not None:
        parts.append(_evaluation(_read_report(evaluation, manifest["model"]), md))
    parts += [_review(md), _trail(Path(draft), md)]
    return " ".join(parts) + "\n"


def _quote(text: str, md: bool) -> str:
    return f"`{text}`" if md else text


def _software(manifest: dict, md: bool) -> str:
    counts, software = manifest["counts"], manifest["software"]
    transcripts = counts["transcripts_coded"] + counts["transcripts_reused"]
    return (
        f"Codes were suggested for {transcripts} interview transcripts "
        f"({len(manifest['inputs'])} input files) on {manifest['created'][:10]} with "
        f"{_quote('dtors-nlp', md)} {software['dtors-nlp']} (Python {software['python']}), "
        "which runs entirely on the research team's own computer."
    )


def _model(model: dict, md: bool) -> str:
    trained, codebook = model["trained_on"], model["codebook"]
    fingerprint = model["fingerprint"] or "none: the model was never saved"
    from_transcripts = (
        f" from {trained['transcripts']} transcripts" if trained["transcripts"] else ""
    )
    codes = sum(figures["codes"] for figures in model["out_of_fold"].values())
    untrained = model["untrained_codes"]
    never = (
        f"; {len(untrained)} codes with fewer than {model['min_examples']} hand-coded passages "
        f"were never suggested ({', '.join(sorted(untrained))})"
        if untrained
        else ""
    )
    return (
        f"The model {model['name']} (fingerprint SHA-256 {_quote(fingerprint, md)}) was trained "
        f"on {trained['date']} with dtors-nlp {trained['library_version']} on "
        f"{trained['passages']} hand-coded passages{from_transcripts}, coded with the codebook "
        f"{codebook['name']} {codebook['version']} (SHA-256 {_quote(codebook['sha256'], md)}); "
        f"it suggests {codes} codes{never}."
    )


def _calibration(model: dict) -> str:
    embedder, bands = model["embedder"], model["bands"]
    context = " and the interviewer's preceding question" if model["uses_context"] else ""
    return (
        f"Each passage{context} is represented by the sentence encoder {embedder['name']} "
        f"(hash {embedder['hash']}). For each code, or for each dimension whose codes exclude "
        "one another, a class-balanced logistic regression scores the passage, and a second "
        "logistic regression fitted on out-of-fold scores turns the scores into calibrated "
        "probabilities (folds grouped by transcript, so that no interview is on both sides). A "
        "code is suggested as likely when its probability exceeds the code's threshold at which "
        f"out-of-fold precision reached {bands['likely_precision']:.2f}, and for review when it "
        f"exceeds the threshold at which out-of-fold recall reached {bands['review_recall']:.2f}; "
        "below that it is not suggested."
    )


def _out_of_fold(by_dimension: dict[str, dict]) -> str:
    figures = "; ".join(
        f"{dimension} ({_count(row['codes'], 'code')}, given {row['codings']} times in "
        f"training): precision "
        f"{row['suggested']['precision']:.2f}, recall {row['suggested']['recall']:.2f}, F1 "
        f"{row['suggested']['f1']:.2f}, recall of the likely band alone "
        f"{row['likely']['recall']:.2f}"
        for dimension, row in by_dimension.items()
    )
    return (
        "Out of fold, the mean over each dimension's codes of the precision, recall and F1 of "
        f"all suggestions (likely or review) was: {figures}."
    )


def _read_report(folder: str | PathLike[str], model: dict) -> dict:
    path = Path(folder) / "report.json"
    if not path.is_file():
        raise DtorsError("no report.json (give a folder written by evaluate --report)", folder)
    try:
        report = json.loads(path.read_text("utf-8"))
        codebook = report["summary"]["codebook"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        raise DtorsError("damaged or not an evaluation report", path) from None
    if codebook != model["codebook"]["name"]:
        raise DtorsError(
            f"evaluates codebook {codebook!r}, but the draft's model uses "
            f"{model['codebook']['name']!r}",
            path,
        )
    return report


def _evaluation(report: dict, md: bool) -> str:
    summary = report["summary"]
    figures = "; ".join(
        f"{dimension}: mean Cohen's kappa over its codes {_mean_kappa(report, dimension)}, "
        f"Krippendorff's alpha {_number(row['suggested']['alpha'])}"
        for dimension, row in report["dimensions"].items()
    )
    return (
        f"In a separate {summary['folds']}-fold cross-validation grouped by transcript "
        f"({_quote('dtors-nlp evaluate', md)}) on {summary['passages']} hand-coded passages from "
        f"{summary['transcripts']} transcripts, agreement between all suggestions and the human "
        f"coding was: {figures} (macro-F1 {_number(summary['macro_f1']['suggested'])})."
    )


def _mean_kappa(report: dict, dimension: str) -> str:
    kappas = [
        figures["suggested"]["kappa"]
        for code, figures in report["codes"].items()
        if code.split("/", 1)[0] == dimension and figures["suggested"]["kappa"] is not None
    ]
    return _number(sum(kappas) / len(kappas) if kappas else None)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.2f}"


def _review(md: bool) -> str:
    text = (
        "[To be confirmed by the team: every suggestion was reviewed by a human coder (who, "
        "with what training), who accepted, rejected or changed it; passages without "
        "suggestions were coded by hand (or: were not coded); disagreements were resolved by ...]"
    )
    return f"**{text}**" if md else text


def _trail(draft: Path, md: bool) -> str:
    return (
        f"The draft's manifest ({_quote(MANIFEST, md)}, SHA-256 "
        f"{_quote(sha256_file(draft / MANIFEST), md)}) records the model's fingerprint and the "
        "size and SHA-256 of every input transcript and output file; "
        f"{_quote('dtors-nlp verify', md)} checks them."
    )
