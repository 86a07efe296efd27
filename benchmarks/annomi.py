"""Accuracy on real, human-coded transcripts: AnnoMI client talk type.

    python benchmarks/annomi.py [PATH/TO/AnnoMI-simple.csv] [--folds 5] [--context never]
    python benchmarks/annomi.py --accurate   # all-mpnet-base-v2 instead of MiniLM

AnnoMI (Wu et al., 2022/2023) holds 133 motivational-interviewing conversations coded utterance
by utterance by experts. Task: each client utterance is change talk, neutral or sustain talk.
Protocol: 5-fold cross-validation grouped by transcript_id (one conversation never on both
sides), macro-F1 over the three classes, predictions pooled over the folds. In the same run:
- TF-IDF word 1-2 grams + logistic regression (class-balanced);
- frozen all-MiniLM-L6-v2 embeddings + logistic regression (class-balanced);
- dtors-nlp's own training path: CodeSuggester on the AnnoMI codebook (examples/), with the
  therapist's preceding turn as context, calibrated heads and the decision rule it learns by
  inner cross-validation on the training folds only (``CodeSuggester.predict``).
Prints one line per system, the library's last. Nothing is tuned on the test folds.

Then, when AnnoMI-full.csv lies beside it: its 7 conversations coded by all 10 annotators are
held out, the library's model is trained on the other conversations, and its agreement with the
annotators' majority is set against a single annotator's (each compared with the majority of
the other nine; utterances whose majority is tied are left out).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

import dtors_nlp as dn
from dtors_nlp.model import assign_folds

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "annomi" / "AnnoMI-simple.csv"
CLASSES = ["change", "neutral", "sustain"]
CODE_OF = {"change": "talk/change", "sustain": "talk/sustain", "neutral": None}


def client_utterances(path: Path) -> list[dict[str, str]]:
    """Client utterances with their talk type, transcript and the turn before them."""
    rows, previous, transcript = [], "", None
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if row["transcript_id"] != transcript:
                transcript, previous = row["transcript_id"], ""
            if row["interlocutor"] == "client" and row["utterance_text"].strip():
                rows.append(
                    {
                        "text": row["utterance_text"].strip(),
                        "label": row["client_talk_type"],
                        "transcript": transcript,
                        "context": previous,
                    }
                )
            previous = row["utterance_text"].strip()
    return rows


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    return float(f1_score(truth, predicted, labels=CLASSES, average="macro"))


def run_baseline(features, labels: np.ndarray, folds: np.ndarray) -> np.ndarray:
    predicted = np.empty(len(labels), dtype=object)
    for fold in np.unique(folds):
        test = folds == fold
        head = LogisticRegression(class_weight="balanced", max_iter=3000)
        predicted[test] = head.fit(features[~test], labels[~test]).predict(features[test])
    return predicted


def train_library(rows, embedder, options: dict) -> dn.CodeSuggester:
    """The library's own training path on AnnoMI rows, with the AnnoMI codebook and ``options``
    (CodeSuggester parameters)."""
    codebook = dn.load_codebook(REPO / "examples" / "annomi-codebook.yaml")
    return dn.CodeSuggester(codebook=codebook, embedder=embedder, **options).fit(
        [r["text"] for r in rows],
        [{CODE_OF[r["label"]]} - {None} for r in rows],
        groups=[r["transcript"] for r in rows],
        contexts=[r["context"] for r in rows],
    )


def talk_types(model: dn.CodeSuggester, rows) -> list[str]:
    decided = model.predict([r["text"] for r in rows], [r["context"] for r in rows])
    return [next(iter(codes)).split("/")[1] if codes else "neutral" for codes in decided]


def run_library(rows, folds: np.ndarray, embedder, options: dict) -> np.ndarray:
    predicted = np.empty(len(rows), dtype=object)
    for fold in np.unique(folds):
        train = [r for r, f in zip(rows, folds) if f != fold]
        test = [r for r, f in zip(rows, folds) if f == fold]
        predicted[folds == fold] = talk_types(train_library(train, embedder, options), test)
    return predicted


def multi_coded_utterances(full: Path) -> tuple[list[dict], dict[str, list[str]]]:
    """Client utterances of the conversations coded by all annotators, and their labels."""
    labels: dict[tuple, dict[str, str]] = defaultdict(dict)
    texts: dict[tuple, tuple[str, str]] = {}
    with full.open(encoding="utf-8", newline="") as stream:
        table = list(csv.DictReader(stream))
    coders = defaultdict(set)
    for row in table:
        coders[row["transcript_id"]].add(row["annotator_id"])
    chosen = {t for t, people in coders.items() if len(people) >= 10}
    first = {}
    for row in table:
        if row["transcript_id"] in chosen:
            first.setdefault(row["transcript_id"], row["annotator_id"])
    previous: dict[str, str] = {}
    for row in table:
        transcript, key = row["transcript_id"], (row["transcript_id"], row["utterance_id"])
        if transcript not in chosen:
            continue
        if row["interlocutor"] == "client":
            labels[key][row["annotator_id"]] = row["client_talk_type"]
        if row["annotator_id"] == first[transcript]:
            texts[key] = (row["utterance_text"].strip(), previous.get(transcript, ""))
            previous[transcript] = row["utterance_text"].strip()
    rows = [
        {"text": texts[key][0], "context": texts[key][1], "transcript": key[0], "key": key}
        for key in labels
    ]
    return rows, {key: labels[key] for key in labels}


def majority(votes: list[str]) -> str | None:
    """The most frequent label, or None when two labels tie for it."""
    ranked = Counter(votes).most_common()
    return None if len(ranked) > 1 and ranked[0][1] == ranked[1][1] else ranked[0][0]


def agreement_with_annotators(full: Path, rows, embedder, options: dict) -> None:
    held_rows, labels = multi_coded_utterances(full)
    held_out = {r["transcript"] for r in held_rows}
    model = train_library([r for r in rows if r["transcript"] not in held_out], embedder, options)
    predicted = dict(zip([r["key"] for r in held_rows], talk_types(model, held_rows)))
    annotator_hits, model_hits = [], []
    for key, votes in labels.items():
        for annotator, label in votes.items():
            others = majority([v for a, v in votes.items() if a != annotator])
            if others is not None:
                annotator_hits.append(label == others)
                model_hits.append(predicted[key] == others)
    print(
        f"{len(labels)} client utterances in {len(held_out)} conversations coded by 10 annotators:"
        f" a single annotator agrees with the other nine's majority {np.mean(annotator_hits):.1%}"
        f" of the time, the model {np.mean(model_hits):.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", help="library: C values to choose from (default: the library's)")
    parser.add_argument(
        "--context",
        choices=["auto", "always", "never"],
        default="auto",
        help="library: the therapist's turn as context (default: the library's, each head chooses)",
    )
    parser.add_argument(
        "--accurate", action="store_true", help="all-mpnet-base-v2 (the accurate mode) for MiniLM"
    )
    args = parser.parse_args()
    if not args.data.is_file():
        sys.exit(f"annomi.py: {args.data}: no such file (give the path to AnnoMI-simple.csv)")
    rows = client_utterances(args.data)
    labels = np.array([r["label"] for r in rows])
    folds = assign_folds(len(rows), [r["transcript"] for r in rows], args.folds)
    print(
        f"{len(rows)} client utterances, {len({r['transcript'] for r in rows})} transcripts, "
        f"{args.folds} folds grouped by transcript"
    )

    started = time.time()
    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    predicted = run_baseline(tfidf.fit_transform([r["text"] for r in rows]), labels, folds)
    print(
        f"TF-IDF 1-2 grams + LR            macro-F1 {macro_f1(labels, predicted):.3f}"
        f"  ({time.time() - started:.0f} s)"
    )

    embedder = dn.Embedder("all-mpnet-base-v2" if args.accurate else None)
    started = time.time()
    vectors = embedder.encode([r["text"] for r in rows])
    predicted = run_baseline(vectors, labels, folds)
    encoder = "all-mpnet-base-v2" if args.accurate else "MiniLM"
    print(
        f"frozen {encoder + ' + LR':<26}macro-F1 {macro_f1(labels, predicted):.3f}"
        f"  ({time.time() - started:.0f} s)"
    )

    started = time.time()
    c = tuple(float(v) for v in args.c.split(",")) if args.c else dn.CodeSuggester().c
    options = {
        "c": c,
        "use_context": {"auto": "auto", "always": True, "never": False}[args.context],
        "n_jobs": -1,
    }
    predicted = run_library(rows, folds, embedder, options)
    minutes = (time.time() - started) / 60
    print(
        f"dtors-nlp CodeSuggester          macro-F1 {macro_f1(labels, predicted):.3f}"
        f"  ({minutes:.1f} min for {args.folds} trainings, C from {c}, context {args.context})"
    )
    full = args.data.with_name("AnnoMI-full.csv")
    if full.is_file():
        agreement_with_annotators(full, rows, embedder, options)


if __name__ == "__main__":
    main()
