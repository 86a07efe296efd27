"""How well a model trained only on a starter training set ranks codes on real client speech.

    python benchmarks/starter_on_real_speech.py [TRAINING ...] [--annomi DIR] [--embedder MODEL]

Each training set (default: the whole starter training set, and its interviews alone) is
learned with the library's defaults and no prior passages, once with the interviewer's question
as context where each head chooses it (the default) and once without, then every dev passage of
``../shared/data/annomi/dtors-dev/`` is scored (text rebuilt from AnnoMI as ``real_speech.py``
does; no dev passage is trained on, so no folds are needed). Printed: mean ROC-AUC and mean
average precision over the codes with at least 10 dev passages, and the training time.
Evaluation only: the dev labels choose between training sets, they never enter one.
"""

from __future__ import annotations

import argparse
import time
from itertools import product
from pathlib import Path

import numpy as np
from real_speech import DEFAULT_ANNOMI, MIN_SUPPORT, load_dev_passages
from sklearn.metrics import average_precision_score, roc_auc_score

import dtors_nlp as dn

MODELS = Path(__file__).resolve().parents[1] / "models"
DEFAULT_SETS = [
    MODELS / "dtors-starter" / "training-data",
    MODELS / "starter-corpus" / "interviews.csv",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("training", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--annomi", type=Path, default=DEFAULT_ANNOMI)
    parser.add_argument("--embedder", help="a sentence model folder or name (default MiniLM)")
    args = parser.parse_args()
    dev = load_dev_passages(args.annomi)
    codebook = dn.load_codebook()
    scored = [c for c in codebook.codes if sum(c in p.codes for p in dev) >= MIN_SUPPORT]
    truth = np.array([[c in p.codes for c in scored] for p in dev])
    embedder = dn.Embedder(args.embedder)
    print(f"sentence model {embedder.name}")
    for training, use_context in product(args.training, ("auto", False)):
        passages = dn.load_coded(training, codebook)
        started = time.time()
        model = dn.CodeSuggester(
            codebook=codebook, embedder=embedder, prior_data=None, use_context=use_context
        )
        model.fit_coded(passages)
        seconds = time.time() - started
        proba = model.predict_proba([p.text for p in dev], [p.context for p in dev])
        columns = [model.codes.index(code) for code in scored]
        auc = np.mean([roc_auc_score(truth[:, j], proba[:, c]) for j, c in enumerate(columns)])
        ap = np.mean(
            [average_precision_score(truth[:, j], proba[:, c]) for j, c in enumerate(columns)]
        )
        print(
            f"{training} (context {use_context}): {len(passages)} passages, "
            f"AUC {auc:.3f}, AP {ap:.3f}, fit {seconds:.0f} s"
        )


if __name__ == "__main__":
    main()
