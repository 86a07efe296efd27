"""How far fine-tuning the sentence model end to end lifts real-speech ranking (an experiment).

    python benchmarks/finetune_ceiling.py [--annomi DIR] [--device cuda] [--epochs 3 6 10]

The protocol of ``real_speech.py`` (same passages, folds grouped by conversation, figures over
the codes with at least 10 passages): per fold, MiniLM is trained end to end with one linear
multi-label head (binary cross-entropy, positive classes weighted), on the fold's training
passages plus the starter training set at weight 0.3, then the held-out fold is scored twice:
by the head itself, and by per-code logistic regressions on the tuned vectors. A frozen MiniLM
with the same regressions is the reference. It needs a GPU to finish in minutes; on this
project's 2-core machine one fold of two epochs did not finish in 14 minutes. An experiment
for choosing, not part of the library.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from real_speech import DEFAULT_ANNOMI, MIN_SUPPORT, load_dev_passages
from sentence_transformers import SentenceTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

import dtors_nlp as dn
from dtors_nlp.embed import default_model_path
from dtors_nlp.model import assign_folds

PRIOR_WEIGHT = 0.3
BATCH = 16


def regressions(train_x, train_y, weights, test_x) -> np.ndarray:
    """Per-code class-balanced logistic regression probabilities for ``test_x``."""
    proba = np.zeros((len(test_x), train_y.shape[1]))
    for column in range(train_y.shape[1]):
        head = LogisticRegression(class_weight="balanced", max_iter=3000)
        head.fit(train_x, train_y[:, column], sample_weight=weights)
        proba[:, column] = head.predict_proba(test_x)[:, 1]
    return proba


def tune(
    texts, targets, weights, epochs, device, seed
) -> tuple[SentenceTransformer, torch.nn.Linear]:
    """MiniLM and a linear head trained together on ``texts`` (AdamW, lr 3e-5 / 1e-3)."""
    torch.manual_seed(seed)
    model = SentenceTransformer(str(default_model_path()), device=device)
    model.max_seq_length = 128
    head = torch.nn.Linear(model.get_sentence_embedding_dimension(), targets.shape[1]).to(device)
    positives = targets.sum(0)
    pos_weight = np.clip((len(targets) - positives) / np.maximum(positives, 1), 1, 50)
    pos_weight = torch.tensor(pos_weight, dtype=torch.float32, device=device)
    optimiser = torch.optim.AdamW(
        [{"params": model.parameters(), "lr": 3e-5}, {"params": head.parameters(), "lr": 1e-3}]
    )
    order_of = np.random.default_rng(seed).permutation
    model.train()
    for _ in range(epochs):
        order = order_of(len(texts))
        for first in range(0, len(order), BATCH):
            batch = order[first : first + BATCH]
            features = model.tokenize([texts[i] for i in batch])
            features = {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}
            vectors = torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                head(vectors * 10),
                torch.tensor(targets[batch], device=device),
                pos_weight=pos_weight,
                reduction="none",
            )
            loss = (loss.mean(1) * torch.tensor(weights[batch], device=device)).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return model.eval(), head


def encode(model: SentenceTransformer, texts: list[str]) -> np.ndarray:
    with torch.no_grad():
        return model.encode(texts, normalize_embeddings=True, batch_size=128)


def report(name: str, truth: np.ndarray, proba: np.ndarray, started: float) -> None:
    auc = np.mean([roc_auc_score(truth[:, j], proba[:, j]) for j in range(truth.shape[1])])
    ap = np.mean([average_precision_score(truth[:, j], proba[:, j]) for j in range(truth.shape[1])])
    print(f"{name:48s} AUC {auc:.3f}  AP {ap:.3f}  ({time.time() - started:.0f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annomi", type=Path, default=DEFAULT_ANNOMI)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--epochs", type=int, nargs="+", default=[3, 6, 10])
    args = parser.parse_args()
    passages = load_dev_passages(args.annomi)
    prior = dn.load_coded(
        Path(__file__).resolve().parents[1] / "models/dtors-starter/training-data"
    )
    codebook = dn.load_codebook()
    scored = [c for c in codebook.codes if sum(c in p.codes for p in passages) >= MIN_SUPPORT]
    truth = np.array([[c in p.codes for c in scored] for p in passages])
    every = [
        np.array([[c in p.codes for c in codebook.codes] for p in group], np.float32)
        for group in (passages, prior)
    ]
    folds = assign_folds(len(passages), [p.transcript for p in passages], 5)
    texts, prior_texts = [p.text for p in passages], [p.text for p in prior]
    prior_truth = np.array([[c in p.codes for c in scored] for p in prior])

    started = time.time()
    frozen = SentenceTransformer(str(default_model_path()), device=args.device)
    vectors, prior_vectors = encode(frozen, texts), encode(frozen, prior_texts)
    proba = np.zeros(truth.shape)
    for fold in range(5):
        train, test = folds != fold, folds == fold
        weights = np.r_[np.ones(train.sum()), np.full(len(prior), PRIOR_WEIGHT)]
        train_x = np.vstack([vectors[train], prior_vectors])
        proba[test] = regressions(
            train_x, np.vstack([truth[train], prior_truth]), weights, vectors[test]
        )
    report("frozen MiniLM + per-code LR", truth, proba, started)

    scored_columns = [codebook.codes.index(c) for c in scored]
    for epochs in args.epochs:
        started = time.time()
        by_head, by_regression = np.zeros(truth.shape), np.zeros(truth.shape)
        for fold in range(5):
            train, test = folds != fold, folds == fold
            weights = np.r_[np.ones(train.sum()), np.full(len(prior), PRIOR_WEIGHT)].astype(
                np.float32
            )
            train_texts = [t for t, keep in zip(texts, train) if keep] + prior_texts
            targets = np.vstack([every[0][train], every[1]])
            model, head = tune(train_texts, targets, weights, epochs, args.device, seed=fold)
            tuned, tuned_prior = encode(model, texts), encode(model, prior_texts)
            with torch.no_grad():
                logits = head(torch.tensor(tuned[test], device=args.device) * 10).cpu().numpy()
            by_head[test] = 1 / (1 + np.exp(-logits[:, scored_columns]))
            train_x = np.vstack([tuned[train], tuned_prior])
            train_y = np.vstack([truth[train], prior_truth])
            by_regression[test] = regressions(train_x, train_y, weights, tuned[test])
        report(f"fine-tuned {epochs} epochs, its own head", truth, by_head, started)
        report(f"fine-tuned {epochs} epochs + per-code LR", truth, by_regression, started)


if __name__ == "__main__":
    main()
