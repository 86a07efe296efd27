"""How many flips the audit could find in its top 60 with the models here, at best.

    python benchmarks/audit_ceiling.py             # MiniLM, seeds 14-17 (about 4 minutes)
    python benchmarks/audit_ceiling.py --accurate  # also all-mpnet-base-v2, and the two averaged
                                                   # (about 25 minutes on 2 cores)

The same flips as ``benchmarks/audit_flips.py`` (30 per seed on the starter vignettes, no prior
passages, 5 folds). For each model's out-of-fold probabilities it prints the flips found by the
audit's ranking (``doubt_scores``), and a ceiling no ranking of those probabilities can beat
without knowing the flips: the most doubted codes given and the most expected codes missing,
each kind ordered by the probability alone, with the 60 places split between the two kinds in
the way that finds the most flips, chosen by looking at the flips. If the ceiling is below the
target (70%, 21 of 30 a seed), only a better model, not a better ranking, can reach it.
"""

from __future__ import annotations

import argparse

import numpy as np
from audit_flips import FLIPPED, TOP, VIGNETTES, flip_codes

from dtors_nlp.audit import complete_by_use, doubt_scores, most_doubted, out_of_fold
from dtors_nlp.codebook import load_codebook
from dtors_nlp.coded import load_coded
from dtors_nlp.embed import as_embedder
from dtors_nlp.labels import ABSENT, PRESENT, LabelMatrix


def found_by_ranking(score: np.ndarray, flipped: set[tuple[int, int]]) -> int:
    """The flipped cells among the ``TOP`` highest scores."""
    return len(set(most_doubted(score, TOP)) & flipped)


def best_split(labels: LabelMatrix, proba: np.ndarray, flipped: set[tuple[int, int]]) -> int:
    """The most flips ``TOP`` places can hold when codes given are taken lowest probability
    first and codes missing highest first, split between the two kinds knowing the flips."""

    def flips_in_order(kind: int, sign: float) -> np.ndarray:
        rows, columns = np.nonzero((labels.values == kind) & ~np.isnan(proba))
        order = np.argsort(sign * proba[rows, columns], kind="stable")
        cells = zip(rows[order].tolist(), columns[order].tolist())
        found = np.cumsum([0] + [cell in flipped for cell in cells])[: TOP + 1]
        return np.pad(found, (0, TOP + 1 - len(found)), mode="edge")  # fewer cells than places

    given, missing = flips_in_order(PRESENT, 1.0), flips_in_order(ABSENT, -1.0)
    return int(max(given[k] + missing[TOP - k] for k in range(TOP + 1)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="14,15,16,17", help="comma-separated flip seeds")
    parser.add_argument("--accurate", action="store_true", help="also all-mpnet-base-v2")
    args = parser.parse_args(argv)
    codebook = load_codebook()
    embedders = {"MiniLM": as_embedder(None)}
    if args.accurate:
        embedders["all-mpnet-base-v2"] = as_embedder("all-mpnet-base-v2")
    totals: dict[str, np.ndarray] = {}
    print(f"flips found of {FLIPPED} in the top {TOP}: by the audit's ranking / at best")
    for seed in (int(s) for s in args.seeds.split(",")):
        passages, flips = flip_codes(load_coded(VIGNETTES), FLIPPED, seed)
        probabilities = {}
        for name, embedder in embedders.items():
            labels, proba, fold_of = out_of_fold(passages, codebook, 5, embedder, prior_data=None)
            probabilities[name] = proba
        if len(probabilities) > 1:
            probabilities["the two averaged"] = np.mean(list(probabilities.values()), axis=0)
        cells = {(row, labels.codes.index(code)) for row, code in flips}
        for name, proba in probabilities.items():
            row = np.array(
                [
                    found_by_ranking(doubt_scores(labels, proba, fold_of), cells),
                    best_split(labels, complete_by_use(labels, proba)[0], cells),
                ]
            )
            totals[name] = totals.get(name, 0) + row
            print(f"seed {seed:>3}  {name:<18} {row[0]:>3} / {row[1]:>3}", flush=True)
    flips = FLIPPED * len(args.seeds.split(","))
    for name, (ranked, best) in totals.items():
        print(f"all       {name:<18} {ranked:>3} / {best:>3} of {flips}")


if __name__ == "__main__":
    main()
