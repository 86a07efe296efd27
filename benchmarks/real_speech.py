"""Accuracy on real client speech coded with the DTORS codebook (AnnoMI drug and alcohol talk).

    python benchmarks/real_speech.py [--annomi DIR] [--folds 5] [--embedder FOLDER]
                                     [--only NAME ...]

``../shared/data/annomi/dtors-dev/`` holds the DTORS codes of 392 client passages of 19 AnnoMI
conversations (labels only); the passage text is rebuilt from ``AnnoMI-simple.csv`` as its README
says, and the therapist's turn before each passage is its context. The conversations its README
holds out are never read here.

Protocol: cross-validation with folds grouped by conversation (one conversation never on both
sides); every system is trained on the other folds only and predicts the held-out fold, and the
predictions are pooled. Figures over the codes with at least 10 passages:
- mean ROC-AUC and mean average precision (how well each code's passages rank first);
- macro-F1 of ``CodeSuggester.predict`` (one best guess per code);
- triage: the share of true codes that land in the ``likely`` band and the precision there; the
  recall and precision of everything suggested (``review`` or ``likely``).
Baselines first (frozen MiniLM, or TF-IDF beside it, with a plain per-code logistic regression;
the same on all-mpnet-base-v2 when that model is installed, see ``accurate_model.py``), then
the library under each option, its default last. Nothing is tuned on the test folds.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

import dtors_nlp as dn
from dtors_nlp import accurate_model
from dtors_nlp.model import assign_folds

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ANNOMI = REPO.parent / "shared" / "data" / "annomi"
HELD_OUT = {1, 7, 9, 17, 34, 38, 40, 44, 52, 53, 55, 63, 64, 87, 90, 101, 112, 117, 128}
MIN_SUPPORT = 10
STARTER_DATA = REPO / "models" / "dtors-starter" / "training-data"
STARTER_PARTS = {  # the two parts of the starter training set, each tried alone as the prior
    "interviews": [STARTER_DATA / "interviews.csv"],
    "vignettes": [STARTER_DATA / "vignettes"],
}
RECALLS = (0.1, 0.2, 0.5, 0.8)

ACCURATE = accurate_model.NAME  # the sentence model of --accurate

# The library's options, each against its default (the last entry). "binary motivation" learns
# motivation/surface and motivation/deep as two yes/no codes instead of one none/surface/deep head.
LIBRARY_OPTIONS: dict[str, dict] = {
    "dtors-nlp, context always, no prior passages": {"use_context": True, "prior_data": None},
    "dtors-nlp, no prior passages": {"prior_data": None},
    "dtors-nlp, context always": {"use_context": True},
    "dtors-nlp, context never": {"use_context": False},
    "dtors-nlp, C fixed at 1": {"c": 1.0},
    "dtors-nlp, prior weight 1": {"prior_weight": 1.0},
    "dtors-nlp, prior: the starter vignettes only": {"prior_data": "vignettes"},
    "dtors-nlp, prior: the starter interviews only": {"prior_data": "interviews"},
    "dtors-nlp, binary motivation": {"binary_motivation": True},
    "dtors-nlp, likely band at precision 0.80": {"likely_precision": 0.80},
    "dtors-nlp, no word features": {"word_features": False},
    "dtors-nlp --accurate (all-mpnet-base-v2)": {"embedder": ACCURATE},
    "dtors-nlp --accurate, context never": {"embedder": ACCURATE, "use_context": False},
    "dtors-nlp default": {},
}


def binary_motivation(codebook: dn.Codebook) -> dn.Codebook:
    """The codebook with its motivation codes as independent yes/no codes."""
    dimensions = tuple(
        replace(d, multi_label=True) if d.name == "motivation" else d for d in codebook.dimensions
    )
    return replace(codebook, dimensions=dimensions)


def load_dev_passages(annomi: Path) -> list[dn.CodedPassage]:
    """The coded dev passages with their text and the therapist's turn before them."""
    turns: dict[int, dict[int, tuple[str, str]]] = {}
    with (annomi / "AnnoMI-simple.csv").open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            conversation = turns.setdefault(int(row["transcript_id"]), {})
            conversation[int(row["utterance_id"])] = (
                row["interlocutor"],
                row["utterance_text"].strip(),
            )
    passages = []
    with (annomi / "dtors-dev" / "dtors-dev.jsonl").open(encoding="utf-8") as stream:
        for line in stream:
            coded = json.loads(line)
            conversation = coded["transcript_id"]
            if conversation in HELD_OUT:
                raise SystemExit(f"real_speech.py: held-out conversation {conversation} in dev")
            utterances = turns[conversation]
            passages.append(
                dn.CodedPassage(
                    text=" ".join(utterances[i][1] for i in coded["utterance_ids"]),
                    codes=frozenset(_codes(coded["codes"])),
                    transcript=str(conversation),
                    speaker="client",
                    context=_therapist_before(utterances, min(coded["utterance_ids"])),
                )
            )
    return passages


def _codes(by_dimension: dict) -> list[str]:
    codes = []
    for dimension, value in by_dimension.items():
        values = [value] if isinstance(value, str) else value or []
        codes += [f"{dimension}/{code}" for code in values]
    return codes


def _therapist_before(utterances: dict[int, tuple[str, str]], first: int) -> str:
    for index in range(first - 1, -1, -1):
        speaker, text = utterances.get(index, ("", ""))
        if speaker == "therapist":
            return text
    return ""


@dataclass
class HeldOutRun:
    """Pooled held-out outputs of one system, in the columns of ``codes``."""

    proba: np.ndarray
    decided: np.ndarray | None = None  # predict's codes, True/False
    band: np.ndarray | None = None  # 0 none, 1 review, 2 likely
    minutes: float = 0.0


def run_baseline(
    features: Callable[[np.ndarray, np.ndarray], tuple], truth: np.ndarray, folds: np.ndarray
) -> HeldOutRun:
    """A plain class-balanced logistic regression per code on the given features."""
    started = time.time()
    proba = np.zeros(truth.shape)
    for fold in np.unique(folds):
        test = folds == fold
        train_x, test_x = features(~test, test)
        for column in range(truth.shape[1]):
            head = LogisticRegression(class_weight="balanced", max_iter=3000)
            proba[test, column] = head.fit(train_x, truth[~test, column]).predict_proba(test_x)[
                :, 1
            ]
    return HeldOutRun(proba, decided=proba >= 0.5, minutes=(time.time() - started) / 60)


def run_library(
    passages: list[dn.CodedPassage],
    codes: list[str],
    folds: np.ndarray,
    embedder: dn.Embedder,
    options: dict,
) -> HeldOutRun:
    """The library's training path per fold; its probabilities, decisions and bands."""
    started = time.time()
    shape = (len(passages), len(codes))
    run = HeldOutRun(np.zeros(shape), np.zeros(shape, bool), np.zeros(shape, np.int8))
    options = dict(options)
    if "embedder" in options:
        embedder = dn.Embedder(options.pop("embedder"))
    if options.get("prior_data") in STARTER_PARTS:
        options["prior_data"] = dn.load_coded(STARTER_PARTS[options["prior_data"]])
    if options.pop("binary_motivation", False):
        options["codebook"] = binary_motivation(dn.load_codebook())
    for fold in np.unique(folds):
        test = np.flatnonzero(folds == fold)
        train = [p for p, f in zip(passages, folds) if f != fold]
        model = dn.CodeSuggester(embedder=embedder, **options).fit_coded(train)
        texts = [passages[i].text for i in test]
        contexts = [passages[i].context for i in test]
        proba = model.predict_proba(texts, contexts)
        bands = model.bands(proba)
        decided = model.predict(texts, contexts)
        for column, code in enumerate(codes):
            if code in model.codes:  # a code a fold could not learn keeps probability 0
                run.proba[test, column] = proba[:, model.codes.index(code)]
                run.band[test, column] = bands[:, model.codes.index(code)]
            run.decided[test, column] = [code in chosen for chosen in decided]
    run.minutes = (time.time() - started) / 60
    return run


def within_fold_auc(truth: np.ndarray, proba: np.ndarray, folds: np.ndarray) -> float:
    """Mean over codes of each code's ROC-AUC inside each fold (folds with both classes)."""
    per_code = []
    for j in range(truth.shape[1]):
        scores = [
            roc_auc_score(truth[folds == f, j], proba[folds == f, j])
            for f in np.unique(folds)
            if 0 < truth[folds == f, j].sum() < (folds == f).sum()
        ]
        per_code.append(np.mean(scores))
    return float(np.mean(per_code))


def figures(truth: np.ndarray, run: HeldOutRun, folds: np.ndarray) -> dict[str, float]:
    """Ranking, decision and triage figures of one system (NaN where it has none)."""
    columns = range(truth.shape[1])
    result = {
        "auc": np.mean([roc_auc_score(truth[:, j], run.proba[:, j]) for j in columns]),
        "ap": np.mean([average_precision_score(truth[:, j], run.proba[:, j]) for j in columns]),
        "auc_within_folds": within_fold_auc(truth, run.proba, folds),
        "macro_f1": np.nan,
        "likely_share": np.nan,
        "likely_precision": np.nan,
        "suggested_recall": np.nan,
        "suggested_precision": np.nan,
    }
    if run.decided is not None:
        result["macro_f1"] = f1_score(truth, run.decided, average="macro", zero_division=0)
    if run.band is not None:
        for name, level in (("likely", 2), ("suggested", 1)):
            chosen = run.band >= level
            hits = (chosen & truth).sum()
            share = hits / truth.sum()
            precision = hits / chosen.sum() if chosen.sum() else np.nan
            result[f"{name}_{'share' if level == 2 else 'recall'}"] = share
            result[f"{name}_precision"] = precision
    return result


def print_tradeoff(truth: np.ndarray, run: HeldOutRun, codes: list[str]) -> None:
    """Per code: how precise the top of the ranking is at a given share of the true codes."""
    print("\nPrecision at a share of each code's true passages (pooled held-out ranking):")
    print(f"{'code':40s} {'n':>4s} {'AP':>6s}" + "".join(f"  P@{r:.0%}" for r in RECALLS))
    for j, code in enumerate(codes):
        order = np.argsort(-run.proba[:, j], kind="stable")
        hits = np.cumsum(truth[order, j])
        cells = [hits[k] / (k + 1) for k in (np.searchsorted(hits, r * hits[-1]) for r in RECALLS)]
        ap = average_precision_score(truth[:, j], run.proba[:, j])
        print(f"{code:40s} {hits[-1]:4d} {ap:6.3f}" + "".join(f"  {c:5.2f}" for c in cells))


def print_row(name: str, values: dict[str, float], minutes: float) -> None:
    cells = [
        f"{values[key]:.3f}" if not np.isnan(values[key]) else "  -  "
        for key in (
            "auc",
            "ap",
            "auc_within_folds",
            "macro_f1",
            "likely_share",
            "likely_precision",
            "suggested_recall",
            "suggested_precision",
        )
    ]
    print(f"{name:56s} " + "  ".join(f"{c:>6s}" for c in cells) + f"  {minutes:5.1f} min")


INSTALL = f"all-mpnet-base-v2 not installed ({accurate_model.INSTALL})"


def accurate_available() -> bool:
    """True when the accurate mode's sentence model can be found on this machine."""
    try:
        accurate_model.accurate_model_path()
    except dn.ModelError:
        return False
    return True


def print_baselines(
    embedder: dn.Embedder, passages: list[dn.CodedPassage], truth: np.ndarray, folds: np.ndarray
) -> None:
    """The two baselines on ``embedder``'s vectors: a plain per-code logistic regression on the
    vectors alone, and on TF-IDF word 1-2 grams beside them."""
    texts = [p.text for p in passages]
    vectors = embedder.encode(texts)
    run = run_baseline(lambda train, test: (vectors[train], vectors[test]), truth, folds)
    print_row(f"frozen {embedder.name} + per-code LR", figures(truth, run, folds), run.minutes)

    def tfidf_and_vectors(train: np.ndarray, test: np.ndarray) -> tuple:
        tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        words = tfidf.fit_transform([t for t, keep in zip(texts, train) if keep])
        test_words = tfidf.transform([t for t, keep in zip(texts, test) if keep])
        return (
            sparse.hstack([words, vectors[train]]).tocsr(),
            sparse.hstack([test_words, vectors[test]]).tocsr(),
        )

    run = run_baseline(tfidf_and_vectors, truth, folds)
    print_row(
        f"TF-IDF 1-2 grams + {embedder.name} + per-code LR", figures(truth, run, folds), run.minutes
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annomi", type=Path, default=DEFAULT_ANNOMI)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--embedder", help="a local sentence-transformers folder (default MiniLM)")
    parser.add_argument(
        "--only", nargs="+", default=None, help="library options to run (names or prefixes)"
    )
    args = parser.parse_args()
    if not (args.annomi / "dtors-dev" / "dtors-dev.jsonl").is_file():
        sys.exit(f"real_speech.py: {args.annomi}: no dtors-dev/dtors-dev.jsonl there")
    passages = load_dev_passages(args.annomi)
    codebook = dn.load_codebook()
    codes = [c for c in codebook.codes if sum(c in p.codes for p in passages) >= MIN_SUPPORT]
    truth = np.array([[code in p.codes for code in codes] for p in passages])
    folds = assign_folds(len(passages), [p.transcript for p in passages], args.folds)
    embedder = dn.Embedder(args.embedder)
    print(
        f"{len(passages)} passages, {len({p.transcript for p in passages})} conversations, "
        f"{args.folds} folds grouped by conversation; {len(codes)} codes with >= {MIN_SUPPORT} "
        f"passages; sentence model {embedder.name}"
    )
    print(
        f"{'system':56s} "
        + "  ".join(
            f"{h:>6s}" for h in ("AUC", "AP", "AUC/f", "F1", "likely", "P@lkly", "R@sugg", "P@sugg")
        )
    )
    print_baselines(embedder, passages, truth, folds)
    accurate = args.embedder is None and accurate_available()  # its rows are run, or skipped
    if accurate:
        print_baselines(dn.Embedder(ACCURATE), passages, truth, folds)
    for name, options in LIBRARY_OPTIONS.items():
        if args.only and not any(name.startswith(o) or o in name for o in args.only):
            continue
        if options.get("embedder") == ACCURATE and not accurate:
            print(f"{name:56s} skipped: " + ("--embedder given" if args.embedder else INSTALL))
            continue
        run = run_library(passages, codes, folds, embedder, options)
        print_row(name, figures(truth, run, folds), run.minutes)
        if not options:  # the default
            print_tradeoff(truth, run, codes)


if __name__ == "__main__":
    main()
