"""Accuracy on real, human-coded transcripts: AnnoMI client talk type.

    python benchmarks/annomi.py [PATH/TO/AnnoMI-simple.csv] [--folds 5]

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
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
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


def run_library(rows, folds: np.ndarray, embedder, c) -> np.ndarray:
    codebook = dn.load_codebook(REPO / "examples" / "annomi-codebook.yaml")
    predicted = np.empty(len(rows), dtype=object)
    for fold in np.unique(folds):
        train = [r for r, f in zip(rows, folds) if f != fold]
        test = [r for r, f in zip(rows, folds) if f == fold]
        model = dn.CodeSuggester(codebook=codebook, embedder=embedder, c=c).fit(
            [r["text"] for r in train],
            [{CODE_OF[r["label"]]} - {None} for r in train],
            groups=[r["transcript"] for r in train],
            contexts=[r["context"] for r in train],
        )
        decided = model.predict([r["text"] for r in test], [r["context"] for r in test])
        predicted[folds == fold] = [
            next(iter(codes)).split("/")[1] if codes else "neutral" for codes in decided
        ]
    return predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--c", default="0.03,0.1,0.3,1,4", help="library: C value(s) to choose from"
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

    embedder = dn.Embedder()
    started = time.time()
    vectors = embedder.encode([r["text"] for r in rows])
    predicted = run_baseline(vectors, labels, folds)
    print(
        f"frozen MiniLM + LR               macro-F1 {macro_f1(labels, predicted):.3f}"
        f"  ({time.time() - started:.0f} s)"
    )

    started = time.time()
    c = tuple(float(v) for v in args.c.split(","))
    predicted = run_library(rows, folds, embedder, c if len(c) > 1 else c[0])
    minutes = (time.time() - started) / 60
    print(
        f"dtors-nlp CodeSuggester          macro-F1 {macro_f1(labels, predicted):.3f}"
        f"  ({minutes:.1f} min for {args.folds} trainings, C from {args.c})"
    )


if __name__ == "__main__":
    main()
