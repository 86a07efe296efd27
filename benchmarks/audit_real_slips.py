"""Does ``dtors-nlp audit`` point at real coding slips? A check on the starter corpus.

    python benchmarks/audit_real_slips.py [-n 300]

The audit reads the first-pass coding of the 35 starter interviews
(``models/starter-corpus/coding/first/``). Five of them were also coded blind by a second
coder and then reconciled (``coding/reconciled/``): a first-pass coding that reconciliation
changed is a real slip (or a judgement the team revised). Printed: how many of the audit's top
``n`` doubts fall in those five interviews, how many of those point at a changed coding, and
the share of changed codings among all the codings checked there (the rate a doubt would hit
by chance). About 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dtors_nlp.audit import audit
from dtors_nlp.coded import CodedPassage, load_coded

CODING = Path(__file__).resolve().parents[1] / "models" / "starter-corpus" / "coding"
CUTS = (20, 50, 100, 200, 300)


def load(folder: Path) -> list[CodedPassage]:
    return [passage for sheet in sorted(folder.glob("*.csv")) for passage in load_coded(sheet)]


def changed_cells(first: list[CodedPassage], reconciled: list[CodedPassage]) -> set:
    """(passage index, code) of every first-pass coding that reconciliation changed."""
    final = {(p.transcript, p.text): p.codes for p in reconciled}
    return {
        (index, code)
        for index, passage in enumerate(first)
        if (passage.transcript, passage.text) in final
        for code in passage.codes ^ final[passage.transcript, passage.text]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=max(CUTS))
    args = parser.parse_args()
    first, reconciled = load(CODING / "first"), load(CODING / "reconciled")
    changed = changed_cells(first, reconciled)
    twice = {(p.transcript, p.text) for p in reconciled}
    result = audit(first, n=args.n, prior_data=None)
    checked_twice = sum((p.transcript, p.text) in twice for p in first) * len(result.codes_checked)
    print(
        f"{len(first)} first-pass passages, {len(twice)} of them coded twice and reconciled; "
        f"{len(changed)} codings changed by reconciliation, "
        f"{len(changed) / checked_twice:.2%} of the {checked_twice:,} codings checked there"
    )
    for cut in [c for c in CUTS if c <= args.n]:
        there = [d for d in result.doubts[:cut] if (d.transcript, d.text) in twice]
        hits = sum((d.passage, d.code) in changed for d in there)
        print(f"top {cut:>3}: {len(there):>3} doubts in the reconciled interviews, {hits} changed")


if __name__ == "__main__":
    main()
