"""What the fast mode costs in accuracy: MiniLM against its static (model2vec) distillation.

    python benchmarks/fast_mode_accuracy.py [--annomi PATH] [--static models/minilm-static]

Two comparisons, each with the same classifier on top of either embedding:

- the starter set: a CodeSuggester trained on models/dtors-starter/training-data, its
  out-of-fold F1 per code (``metrics_``, folds grouped by transcript), macro-averaged over codes;
- AnnoMI: the client's talk type (change / neutral / sustain) of every client utterance, 5 folds
  grouped by transcript_id, a class-balanced logistic regression, macro-F1 over the three types.

Embeddings go through the usual on-disk cache, so a re-run is quick.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

import numpy as np

import dtors_nlp as dn

ROOT = Path(__file__).resolve().parents[1]
STARTER_DATA = ROOT / "models" / "dtors-starter" / "training-data"
STATIC = ROOT / "models" / "minilm-static"
ANNOMI = ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-simple.csv"


def starter_macro_f1(embedder: dn.Embedder) -> dict[str, float]:
    """Macro-averaged out-of-fold F1 of the starter model's codes, at both bands."""
    model = dn.CodeSuggester(embedder=embedder).fit_coded(dn.load_coded(STARTER_DATA))
    figures = model.metrics_.values()
    return {
        band: statistics.mean(f[band]["f1"] for f in figures) for band in ("suggested", "likely")
    }


def annomi_macro_f1(embedder: dn.Embedder, path: Path, folds: int = 5) -> float:
    """Macro-F1 of client talk type, cross-validated with folds grouped by transcript."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    with path.open(encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream) if row["interlocutor"] == "client"]
    x = embedder.encode([row["utterance_text"] for row in rows])
    y = np.array([row["client_talk_type"] for row in rows])
    groups = np.array([row["transcript_id"] for row in rows])
    predicted = np.empty_like(y)
    for train, test in GroupKFold(folds).split(x, y, groups):
        head = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
        predicted[test] = head.fit(x[train], y[train]).predict(x[test])
    return float(f1_score(y, predicted, average="macro"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annomi", type=Path, default=ANNOMI)
    parser.add_argument("--static", type=Path, default=STATIC)
    args = parser.parse_args()
    columns = ("starter F1 (review)", "starter F1 (likely)", "AnnoMI F1")
    print(f"{'embedder':<22} " + " ".join(f"{name:>20}" for name in columns))
    for embedder in (dn.Embedder(), dn.Embedder(args.static)):
        start = time.perf_counter()
        starter = starter_macro_f1(embedder)
        annomi = annomi_macro_f1(embedder, args.annomi) if args.annomi.is_file() else float("nan")
        print(
            f"{embedder.name:<22} {starter['suggested']:>20.3f} {starter['likely']:>20.3f} "
            f"{annomi:>20.3f}   ({time.perf_counter() - start:.0f} s)"
        )


if __name__ == "__main__":
    main()
