"""How many deliberately flipped codes ``dtors-nlp audit`` puts among its most doubted codings.

    python benchmarks/audit_flips.py                           # seeds 14-17, MiniLM, 5 folds
    python benchmarks/audit_flips.py --accurate --seeds 14,15  # all-mpnet-base-v2
    python benchmarks/audit_flips.py --folds 10

On the starter set's 1,199 vignettes, 30 codes of multi-label dimensions are flipped per seed
(half given wrongly, half taken away, where the passage has one to take), then the audit runs as
``tests/test_audit.py`` runs it (no prior passages, the top 60). For each seed it prints the
flips found among the top 60, of them the codes given wrongly, and the flips in codes that no
fold's model learned (too few passages), which the audit judges by how often they are used, and
of those the ones found. About a minute a seed with MiniLM, five with all-mpnet-base-v2, on 2
cores.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import replace
from pathlib import Path

from dtors_nlp.audit import audit
from dtors_nlp.codebook import load_codebook
from dtors_nlp.coded import CodedPassage, load_coded

VIGNETTES = Path(__file__).resolve().parents[1] / "models/dtors-starter/training-data/vignettes"
FLIPPED, TOP = 30, 60


def flip_codes(
    passages: list[CodedPassage], count: int, seed: int = 14
) -> tuple[list[CodedPassage], set[tuple[int, str]]]:
    """Passages with ``count`` codes flipped in multi-label dimensions (half given wrongly,
    half taken away), and the (passage, code) cells flipped."""
    rng = random.Random(seed)
    codebook = load_codebook()
    multi = [c for d in codebook.dimensions if d.multi_label for c in d.qualified_codes]
    passages, flipped = list(passages), set()
    for row in rng.sample(range(len(passages)), count):
        passage = passages[row]
        given = sorted(passage.codes & set(multi))
        if len(flipped) % 2 and given:
            code = rng.choice(given)
            passages[row] = replace(passage, codes=passage.codes - {code})
        else:
            code = rng.choice(sorted(set(multi) - passage.codes))
            passages[row] = replace(passage, codes=passage.codes | {code})
        flipped.add((row, code))
    return passages, flipped


def measure(seed: int, embedder: str | None, folds: int) -> dict[str, int]:
    """The audit's catch on one seed's flips."""
    passages, flipped = flip_codes(load_coded(VIGNETTES), FLIPPED, seed)
    result = audit(passages, n=TOP, folds=folds, embedder=embedder, prior_data=None)
    found = {(d.passage, d.code) for d in result.doubts} & flipped
    return {
        "found": len(found),
        "added": sum(code in passages[row].codes for row, code in found),
        "too rare": sum(code in result.codes_too_rare for _, code in flipped),
        "of them found": sum(code in result.codes_too_rare for _, code in found),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="14,15,16,17", help="comma-separated flip seeds")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--accurate", action="store_true", help="all-mpnet-base-v2")
    args = parser.parse_args(argv)
    embedder = "all-mpnet-base-v2" if args.accurate else None
    columns = ("found", "added", "too rare", "of them found")
    print("seed " + " ".join(f"{c:>13}" for c in columns) + f"  (of {FLIPPED}, top {TOP})")
    totals = dict.fromkeys(columns, 0)
    seeds = [int(s) for s in args.seeds.split(",")]
    for seed in seeds:
        row = measure(seed, embedder, args.folds)
        print(f"{seed:>4} " + " ".join(f"{row[c]:>13}" for c in columns), flush=True)
        totals = {key: totals[key] + row[key] for key in totals}
    flips = FLIPPED * len(seeds)
    learned = flips - totals["too rare"]
    by_model = totals["found"] - totals["of them found"]
    print(
        f"all: {totals['found']} of {flips} flips found ({totals['found'] / flips:.0%}); "
        f"{totals['of them found']} of the {totals['too rare']} in codes too rare for a model; "
        f"{by_model} of the {learned} others ({by_model / max(learned, 1):.0%})"
    )


if __name__ == "__main__":
    main()
