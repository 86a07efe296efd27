"""The model card: what a model was trained on and how far its suggestions can be trusted."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dtors_nlp.model import CodeSuggester


def model_card(model: CodeSuggester, fingerprint: str) -> str:
    """A Markdown model card built from the model's own training record and its folder's
    fingerprint (see ``persist``)."""
    trained = model.trained_on_
    lines = [
        f"# Model card: {model.name}",
        "",
        f"- Fingerprint: `{fingerprint}` (`dtors-nlp model info MODEL_DIR` shows and checks it)",
        f"- Trained: {trained['date']} with dtors-nlp {trained['library_version']}",
        f"- Training data: {trained['passages']} hand-coded passages"
        + (f" from {trained['transcripts']} transcripts" if trained["transcripts"] else ""),
        _prior_line(trained),
        f"- Codebook: {model.codebook_.name} {model.codebook_.version}".rstrip(),
        f"- Sentence model: {model.embedder_.identity}",
        f"- Interviewer's question used as context: {'yes' if model.uses_context_ else 'no'}",
        f"- Bands: `likely` aims at precision {model.likely_precision:.2f}, "
        f"`review` at recall {model.review_recall:.2f} (chosen out of fold)",
        "",
        "## Out-of-fold figures per code",
        "",
        "Every figure comes from cross-validation: each passage was scored by a model that did",
        "not see it (folds grouped by transcript when transcripts are known). *Suggested* counts",
        "every suggestion (band `review` or `likely`); *likely* counts the `likely` band only.",
        "",
        "| code | passages | suggested P | suggested R | suggested F1 | likely P | likely R |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for code in model.codes:
        m = model.metrics_[code]
        s, k = m["suggested"], m["likely"]
        lines.append(
            f"| `{code}` | {m['support']} | {s['precision']:.2f} | {s['recall']:.2f} "
            f"| {s['f1']:.2f} | {k['precision']:.2f} | {k['recall']:.2f} |"
        )
    if model.untrained_codes_:
        lines += [
            "",
            f"## Codes never suggested (fewer than {model.min_examples} coded passages)",
            "",
            *(f"- `{code}`: {n} passages" for code, n in model.untrained_codes_.items()),
        ]
    lines += [
        "",
        "## Use and limits",
        "",
        "Suggestions are a draft for a human coder, not coding. Confidences are calibrated on",
        "the training data's own distribution; on interviews unlike it they can be off.",
        "The folder holds the text of the hand-coded passages shown as exemplars: treat it as",
        "you treat the transcripts it was trained on.",
        "",
    ]
    return "\n".join(lines)


def _prior_line(trained: dict) -> str:
    """What the model learned from beside its own training data (never in its figures)."""
    count = trained.get("prior_passages", 0)
    if not count:
        return "- Prior passages: none"
    return (
        f"- Prior passages: {count} from {trained['prior']}, at weight {trained['prior_weight']}"
        " (learned from, never in the figures below)"
    )
