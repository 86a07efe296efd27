"""CodeSuggester: learns from hand-coded passages and suggests codes with calibrated confidence.

A scikit-learn estimator (``estimator.py``, without importing scikit-learn until ``fit``):
parameters in ``__init__`` (so ``get_params``, ``set_params`` and ``sklearn.base.clone`` work),
checked when ``fit`` starts; ``fit`` returns ``self``;
``predict_proba`` returns an array whose columns follow ``model.codes``; learned state in
attributes ending in ``_``; predicting before ``fit`` raises ``NotFittedError``.

How it decides, per dimension of the codebook:
- multi-label dimension: one calibrated yes/no head per code;
- single-label dimension (e.g. ``motivation``): one head choosing none or one of its codes.
Probabilities are calibrated on out-of-fold predictions (folds grouped by transcript when known),
and per-code thresholds are chosen on the same out-of-fold predictions: ``likely`` where precision
reaches ``likely_precision``, ``review`` where recall reaches ``review_recall``. Codes with fewer
than ``min_examples`` coded passages are reported in ``untrained_codes_`` and never suggested.
Prior passages (``prior_data``, see ``prior.py``) join every training part with less weight but
are never scored: every out-of-fold figure comes from the team's own passages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from os import PathLike

import numpy as np

from dtors_nlp import __version__
from dtors_nlp.codebook import Codebook, codebook_from_dict, load_codebook
from dtors_nlp.coded import CodedPassage
from dtors_nlp.embed import Embedder, as_embedder
from dtors_nlp.errors import ParameterError, TrainingDataError
from dtors_nlp.estimator import Estimator, check_fitted
from dtors_nlp.heads import CalibratedHead, PriorRows, fit_heads, predict_proba_together
from dtors_nlp.labels import PRESENT, UNKNOWN, LabelMatrix
from dtors_nlp.metrics import precision_recall_f1
from dtors_nlp.prior import PriorData, resolve_prior, without_texts
from dtors_nlp.suggestion import Suggestion
from dtors_nlp.transcripts.spans import Transcript
from dtors_nlp.words import WordFeatures

PARAMETERS = (
    "likely_precision",
    "review_recall",
    "min_examples",
    "folds",
    "use_context",
    "c",
    "prior_data",
    "prior_weight",
    "word_features",
    "n_exemplars",
    "name",
)  # saved with the model, in this order (the codebook and sentence model are saved apart; n_jobs,
# how the model is fitted, is not)
LEARNED_SETTINGS = (
    "uses_context",
    "thresholds",
    "metrics",
    "counts",
    "untrained_codes",
    "trained_on",
    "exemplar_texts",
)  # learned attributes (with a trailing _) that JSON holds as they are


@dataclass
class HeadSpec:
    """Which codes a head decides, and whether they exclude each other."""

    dimension: str
    codes: list[str]
    single_label: bool

    @property
    def n_classes(self) -> int:
        return len(self.codes) + 1 if self.single_label else 2


class CodeSuggester(Estimator):
    """Suggest codebook codes for passages, each with a calibrated probability and a band.

    Parameters
    ----------
    codebook : the codes to learn; default the DTORS codebook.
    embedder : an Embedder, or a path to a local sentence-transformers folder; default MiniLM.
    likely_precision : precision a code's ``likely`` band aims at (out of fold).
    review_recall : recall a code's ``review`` band aims at (out of fold).
    min_examples : codes with fewer coded passages are reported and never suggested.
    folds : cross-validation folds for calibration and thresholds.
    use_context : the interviewer's preceding question as features: "auto" (when most training
        passages have one, each head chooses by out-of-fold log-loss whether to use it), True
        (always) or False (never).
    c : inverse regularisation strength of the logistic regressions, or several values for each
        head to choose from by out-of-fold log-loss.
    prior_data : coded passages to learn from beside the training data, never scored: "auto"
        (the starter training set, for a codebook that has its codes), None, a path to coded
        data, or a list of CodedPassage.
    prior_weight : the weight of each prior passage in training (a team's own passage: 1).
    word_features : add TF-IDF features of the passage's words and word pairs (``words.py``).
    n_exemplars : nearest hand-coded passages shown with each suggestion.
    name : how the model names itself in suggestions and drafts.
    n_jobs : processes fitting the heads: None (one, scikit-learn's default) or -1 (every core);
        the model is the same however many. Not saved with the model.
    """

    def __init__(
        self,
        codebook: Codebook | None = None,
        embedder: Embedder | str | PathLike[str] | None = None,
        likely_precision: float = 0.90,
        review_recall: float = 0.80,
        min_examples: int = 5,
        folds: int = 5,
        use_context: bool | str = "auto",
        c: float | tuple[float, ...] = (0.1, 0.3, 1.0, 4.0),
        prior_data: PriorData = "auto",
        prior_weight: float = 0.3,
        word_features: bool = True,
        n_exemplars: int = 3,
        name: str = "dtors-nlp model",
        n_jobs: int | None = None,
    ) -> None:
        self.codebook = codebook
        self.embedder = embedder
        self.likely_precision = likely_precision
        self.review_recall = review_recall
        self.min_examples = min_examples
        self.folds = folds
        self.use_context = use_context
        self.c = c
        self.prior_data = prior_data
        self.prior_weight = prior_weight
        self.word_features = word_features
        self.n_exemplars = n_exemplars
        self.name = name
        self.n_jobs = n_jobs

    # --- training ------------------------------------------------------------------------------

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[set[str]] | LabelMatrix,
        groups: Sequence[str | None] | None = None,
        contexts: Sequence[str] | None = None,
    ) -> CodeSuggester:
        """Learn from coded passages.

        ``labels``: for each text the set of its codes (``dimension/code``), every other code
        taken as absent; or a LabelMatrix where some labels may be unknown (from review CSVs).
        ``groups``: the transcript of each text, so that one interview never sits on both sides
        of a fold. ``contexts``: the interviewer's question before each text.
        """
        self._check_parameters()
        self.codebook_ = self.codebook or load_codebook()
        self.embedder_ = as_embedder(self.embedder)
        texts = [str(text) for text in texts]
        if not isinstance(labels, LabelMatrix):
            labels = LabelMatrix.from_sets(labels, self.codebook_)
        if len(labels) != len(texts):
            raise TrainingDataError(f"{len(texts)} texts but {len(labels)} label sets")
        if len(texts) < 2 * self.folds:
            raise TrainingDataError(
                f"only {len(texts)} coded passages: at least {2 * self.folds} are needed"
            )
        self.counts_ = labels.positive_counts()
        self.untrained_codes_ = {
            code: count for code, count in self.counts_.items() if count < self.min_examples
        }
        if len(self.untrained_codes_) == len(self.counts_):
            raise TrainingDataError(
                f"no code has {self.min_examples} or more coded passages: nothing to learn"
            )
        self.uses_context_ = _decide_context(self.use_context, contexts)
        prior_texts, prior_labels = self._prior(texts)
        self.words_ = WordFeatures.fit(texts + prior_texts) if self.word_features else None
        x, vectors = self._features(texts, contexts if self.uses_context_ else None)
        prior_x, _ = self._features(
            prior_texts, [""] * len(prior_texts) if self.uses_context_ else None
        )
        widths = self._feature_widths(x, vectors)
        fold_of = assign_folds(len(texts), groups, self.folds)
        self.specs_, jobs, known = self._head_specs(), [], []
        for spec in self.specs_:
            y = labels.classes_for(spec.codes, spec.single_label)
            known.append(y != UNKNOWN)
            prior_y = prior_labels.classes_for(spec.codes, spec.single_label)
            prior_known = prior_y != UNKNOWN
            prior = PriorRows(prior_x[prior_known], prior_y[prior_known], self.prior_weight)
            head = CalibratedHead(spec.n_classes, self.c, widths)
            jobs.append((head, x[known[-1]], y[known[-1]], fold_of[known[-1]], prior))
        self.heads_ = fit_heads(jobs, self.n_jobs)
        oof = np.zeros((len(texts), 0))
        for spec, head, rows in zip(self.specs_, self.heads_, known):
            proba = np.full((len(texts), spec.n_classes), np.nan)
            proba[rows] = head.oof_proba_
            oof = np.hstack([oof, proba[:, 1:]])
        self._choose_thresholds(oof, labels)
        self._keep_exemplars(vectors, texts, labels)
        self.trained_on_ = {
            "passages": len(texts),
            "transcripts": len({g for g in groups or [] if g}),
            "prior_passages": len(prior_texts),
            "prior": self.prior_source_,
            "prior_weight": self.prior_weight,
            "date": date.today().isoformat(),
            "library_version": __version__,
        }
        return self

    def _check_parameters(self) -> None:
        """One-line errors for parameters out of range, before any work is done."""
        c_values = [self.c] if np.isscalar(self.c) else list(self.c)
        rules = {  # parameter: (is it wrong?, what it must be)
            "likely_precision": (not 0 < self.likely_precision <= 1, "a precision in (0, 1]"),
            "review_recall": (not 0 < self.review_recall <= 1, "a recall in (0, 1]"),
            "min_examples": (not _whole_at_least(self.min_examples, 1), "a whole number >= 1"),
            "folds": (not _whole_at_least(self.folds, 2), "a whole number >= 2"),
            "use_context": (self.use_context not in ("auto", True, False), "'auto', True or False"),
            "c": (not c_values or any(not v > 0 for v in c_values), "a positive number or several"),
            "prior_weight": (not self.prior_weight >= 0, "zero or more"),
            "n_exemplars": (not _whole_at_least(self.n_exemplars, 0), "a whole number >= 0"),
            "n_jobs": (
                self.n_jobs is not None and not (isinstance(self.n_jobs, int) and self.n_jobs),
                "None or a whole number other than 0 (-1: every core)",
            ),
        }
        for name, (wrong, rule) in rules.items():
            if wrong:
                raise ParameterError(f"{name}={getattr(self, name)!r}: must be {rule}")

    def _prior(self, texts: list[str]) -> tuple[list[str], LabelMatrix]:
        """Texts and labels of the prior passages, less any that are among ``texts``."""
        passages, self.prior_source_ = resolve_prior(self.prior_data, self.codebook_)
        passages = without_texts(passages, texts)
        labels = LabelMatrix.from_coded(passages, self.codebook_)
        return [p.text for p in passages], labels

    def _feature_widths(self, x, vectors: np.ndarray) -> tuple[int | None, ...]:
        """Feature counts each head chooses from: with and without context under "auto"."""
        if self.uses_context_ and self.use_context == "auto":
            return (None, x.shape[1] - vectors.shape[1])
        return (None,)

    def fit_coded(self, passages: Sequence[CodedPassage]) -> CodeSuggester:
        """Learn from ``load_coded`` passages, including partial codings from reviews."""
        labels = LabelMatrix.from_coded(passages, self.codebook or load_codebook())
        return self.fit(
            [p.text for p in passages],
            labels,
            groups=[p.transcript or None for p in passages],
            contexts=[p.context for p in passages],
        )

    def to_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """The fitted model as arrays (numbers and words) and JSON-able settings, parameters
        included; ``from_state`` rebuilds it from the two."""
        check_fitted(self, "heads_")
        arrays = {
            "exemplar_vectors": self.exemplar_vectors_,
            "exemplar_codes": self.exemplar_codes_,
        }
        if self.words_ is not None:
            arrays["words.vocabulary"] = np.array(self.words_.vocabulary, dtype=str)
            arrays["words.idf"] = self.words_.idf
        for index, head in enumerate(self.heads_):
            arrays.update({f"head{index}.{key}": value for key, value in head.arrays().items()})
        settings = {
            "parameters": {name: _parameter_value(getattr(self, name)) for name in PARAMETERS},
            "codebook": self.codebook_.to_dict(),
            "embedder": {"name": self.embedder_.name, "identity": self.embedder_.identity},
            "heads": [vars(spec) for spec in self.specs_],
            **{key: getattr(self, f"{key}_") for key in LEARNED_SETTINGS},
        }
        return arrays, settings

    @classmethod
    def from_state(
        cls,
        arrays: Mapping[str, np.ndarray],
        settings: Mapping,
        embedder: Embedder | str | PathLike[str] | None = None,
    ) -> CodeSuggester:
        """The fitted model that ``to_state`` gave ``arrays`` and ``settings``, embedding with
        ``embedder`` (which must be the sentence model it was trained with)."""
        model = cls(**settings["parameters"])
        model.codebook = model.codebook_ = codebook_from_dict(settings["codebook"])
        model.embedder = model.embedder_ = as_embedder(embedder)
        model.specs_ = [HeadSpec(**spec) for spec in settings["heads"]]
        for key in LEARNED_SETTINGS:
            setattr(model, f"{key}_", settings[key])
        model.exemplar_vectors_ = arrays["exemplar_vectors"]
        model.exemplar_codes_ = arrays["exemplar_codes"]
        model.words_ = (
            WordFeatures(arrays["words.vocabulary"].tolist(), arrays["words.idf"])
            if "words.idf" in arrays
            else None
        )
        model.heads_ = [
            CalibratedHead.from_arrays(spec.n_classes, _with_prefix(arrays, f"head{i}."))
            for i, spec in enumerate(model.specs_)
        ]
        return model

    def save(self, folder: str | PathLike[str], force: bool = False) -> None:
        """Write the model folder: arrays, settings and a model card, no pickle."""
        from dtors_nlp.persist import save_model

        save_model(self, folder, force=force)

    def _head_specs(self) -> list[HeadSpec]:
        specs = []
        for dimension in self.codebook_.dimensions:
            codes = [c for c in dimension.qualified_codes if c not in self.untrained_codes_]
            if not codes:
                continue
            if dimension.multi_label:
                specs.extend(HeadSpec(dimension.name, [code], False) for code in codes)
            else:
                specs.append(HeadSpec(dimension.name, codes, True))
        return specs

    def _choose_thresholds(self, oof: np.ndarray, labels: LabelMatrix) -> None:
        """Per-code ``likely`` and ``review`` thresholds and out-of-fold metrics."""
        self.thresholds_, self.metrics_ = {}, {}
        for column, code in enumerate(self.codes):
            truth = labels.column(code)
            known = (truth != UNKNOWN) & ~np.isnan(oof[:, column])
            scores, positive = oof[known, column], truth[known] == PRESENT
            likely = threshold_for_precision(scores, positive, self.likely_precision)
            review = min(threshold_for_recall(scores, positive, self.review_recall), likely)
            self.thresholds_[code] = {"likely": likely, "review": review}
            self.metrics_[code] = {
                "support": int(positive.sum()),
                "suggested": precision_recall_f1(positive, scores >= review),
                "likely": precision_recall_f1(positive, scores >= likely),
            }

    # --- prediction ----------------------------------------------------------------------------

    @property
    def codes(self) -> list[str]:
        """The codes this model suggests: the columns of ``predict_proba``."""
        return [code for spec in self.specs_ for code in spec.codes]

    def predict_proba(
        self, texts: Sequence[str], contexts: Sequence[str] | None = None
    ) -> np.ndarray:
        """Calibrated probabilities, (n_texts, len(self.codes)).

        In a single-label dimension the columns are exclusive (they sum to at most 1).
        """
        check_fitted(self, "heads_")
        x, _ = self._features(list(texts), contexts if self.uses_context_ else None)
        return self._proba_from_features(x)

    def predict(
        self, texts: Sequence[str], contexts: Sequence[str] | None = None
    ) -> list[set[str]]:
        """The codes decided for each text: the rule that maximised out-of-fold F1 per head.

        Unlike the bands, which serve a coder's review, this is one best guess per code (at
        most one code per single-label dimension), for benchmarks and automatic use.
        """
        check_fitted(self, "heads_")
        x, _ = self._features(list(texts), contexts if self.uses_context_ else None)
        decided: list[set[str]] = [set() for _ in range(x.shape[0])]
        for head, spec in zip(self.heads_, self.specs_):
            for row, k in enumerate(head.predict(x)):
                if k:
                    decided[row].add(spec.codes[k - 1])
        return decided

    def _proba_from_features(self, x) -> np.ndarray:
        if not self.heads_:
            return np.zeros((x.shape[0], 0))
        return np.hstack([p[:, 1:] for p in predict_proba_together(self.heads_, x)])

    def suggest(self, transcript: Transcript) -> list[Suggestion]:
        """Suggestions for every passage of ``transcript``, in passage order."""
        return self.suggest_many([transcript])[transcript.id]

    def suggest_many(self, transcripts: Sequence[Transcript]) -> dict[str, list[Suggestion]]:
        """Suggestions for several transcripts at once (their passages embedded in one batch)."""
        check_fitted(self, "heads_")
        passages = [(t, i, p) for t in transcripts for i, p in enumerate(t.passages)]
        x, vectors = self._features(
            [p.text for _, _, p in passages],
            [p.context for _, _, p in passages] if self.uses_context_ else None,
        )
        proba = self._proba_from_features(x)
        cells = list(self._suggested_cells(proba))
        exemplars = self._nearest_exemplars(vectors, cells)
        codes = self.codes
        found: dict[str, list[Suggestion]] = {t.id: [] for t in transcripts}
        for (row, column, band), nearest in zip(cells, exemplars):
            transcript, index, passage = passages[row]
            found[transcript.id].append(
                Suggestion(
                    transcript=transcript.id,
                    source=transcript.source,
                    passage=index,
                    start=passage.start,
                    end=passage.end,
                    speaker=passage.speaker,
                    text=passage.text,
                    code=codes[column],
                    confidence=round(float(proba[row, column]), 4),
                    band=band,
                    exemplars=nearest,
                    model=self.name,
                )
            )
        return found

    def band(self, code: str, probability: float) -> str | None:
        """``likely``, ``review`` or None for a code's probability."""
        thresholds = self.thresholds_[code]
        if probability >= thresholds["likely"]:
            return "likely"
        return "review" if probability >= thresholds["review"] else None

    def bands(self, proba: np.ndarray) -> np.ndarray:
        """Band of every cell of ``predict_proba``'s output: 0 none, 1 review, 2 likely.

        In a single-label dimension only a row's most probable code can have a band. This is
        the rule ``suggest`` applies and ``evaluate`` measures.
        """
        likely = np.array([self.thresholds_[code]["likely"] for code in self.codes])
        review = np.array([self.thresholds_[code]["review"] for code in self.codes])
        candidate = np.ones(proba.shape, dtype=bool)
        column = 0
        for spec in self.specs_:
            span = slice(column, column + len(spec.codes))
            if spec.single_label:
                best = np.zeros((len(proba), len(spec.codes)), dtype=bool)
                best[np.arange(len(proba)), proba[:, span].argmax(axis=1)] = True
                candidate[:, span] = best
            column += len(spec.codes)
        levels = (proba >= review).astype(np.int8) + (proba >= likely)
        return np.where(candidate, levels, 0).astype(np.int8)

    def _suggested_cells(self, proba: np.ndarray) -> Iterator[tuple[int, int, str]]:
        """(row, column, band) of each suggestion, row by row, as ``bands`` decides."""
        levels = self.bands(proba)
        rows, columns = np.nonzero(levels)
        for row, column in zip(rows.tolist(), columns.tolist()):
            yield row, column, "likely" if levels[row, column] == 2 else "review"

    # --- features and exemplars ----------------------------------------------------------------

    def _features(self, texts: list[str], contexts: Sequence[str] | None) -> tuple:
        """The heads' input, ``[sentence vector | word features | question's vector]`` (sparse
        with word features), and the sentence vectors alone."""
        vectors = self.embedder_.encode(texts)
        blocks = [vectors]
        if self.words_ is not None:
            blocks.append(self.words_.transform(texts))
        if contexts is not None:
            blocks.append(self._context_vectors(contexts, vectors))
        if self.words_ is None:
            return np.hstack(blocks), vectors
        from scipy import sparse

        as_sparse = [block if sparse.issparse(block) else _dense_as_csr(block) for block in blocks]
        return sparse.hstack(as_sparse, format="csr"), vectors

    def _context_vectors(self, contexts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Sentence vectors of the questions; zero where a passage has none."""
        present = [bool(c and c.strip()) for c in contexts]
        context_vectors = np.zeros_like(vectors)
        if any(present):
            context_vectors[present] = self.embedder_.encode(
                [c for c, keep in zip(contexts, present) if keep], "Embedding context"
            )
        return context_vectors

    def _keep_exemplars(self, vectors: np.ndarray, texts: list[str], labels: LabelMatrix) -> None:
        positive = np.column_stack([labels.column(code) == PRESENT for code in self.codes])
        keep = positive.any(axis=1)
        self.exemplar_vectors_ = vectors[keep].astype(np.float16)
        self.exemplar_texts_ = [text for text, k in zip(texts, keep) if k]
        self.exemplar_codes_ = positive[keep]

    def _nearest_exemplars(
        self, vectors: np.ndarray, cells: Sequence[tuple[int, int, str]]
    ) -> list[tuple[str, ...]]:
        """For each (row, column, band) cell, the hand-coded passages with that column's code
        nearest to the row's passage."""
        similarity = vectors @ self.exemplar_vectors_.astype(np.float32).T
        rows = np.array([row for row, _, _ in cells], dtype=np.int64)
        columns = np.array([column for _, column, _ in cells], dtype=np.int64)
        found: list[tuple[str, ...]] = [()] * len(cells)
        for column in np.unique(columns):
            places = np.flatnonzero(columns == column)
            candidates = np.flatnonzero(self.exemplar_codes_[:, column])
            scores = similarity[np.ix_(rows[places], candidates)]
            best = candidates[np.argsort(-scores, axis=1)[:, : self.n_exemplars]]
            for place, picked in zip(places.tolist(), best.tolist()):
                found[place] = tuple(self.exemplar_texts_[i] for i in picked)
        return found


def _dense_as_csr(array: np.ndarray):
    """``array`` as a CSR matrix, zeros left out, as ``scipy.sparse.csr_matrix(array)`` makes
    it, built directly instead of through coordinates (a second for 12,000 passages)."""
    from scipy import sparse

    nonzero = array != 0
    per_row = np.r_[0, np.cumsum(nonzero.sum(axis=1))]
    return sparse.csr_matrix((array[nonzero], np.nonzero(nonzero)[1], per_row), shape=array.shape)


def _parameter_value(value):
    """A parameter as JSON can hold it: paths as text; passages given in Python as None (the
    training record describes them)."""
    if isinstance(value, PathLike):
        return str(value)
    if isinstance(value, (list, tuple)) and value and not np.isscalar(value[0]):
        return None
    return value


def _with_prefix(arrays: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays whose names start with ``prefix``, named without it."""
    return {key[len(prefix) :]: v for key, v in arrays.items() if key.startswith(prefix)}


def _decide_context(use_context: bool | str, contexts: Sequence[str] | None) -> bool:
    if use_context == "auto":
        if contexts is None:
            return False
        return sum(bool(c and c.strip()) for c in contexts) >= len(contexts) / 2
    if use_context and contexts is None:
        raise TrainingDataError("use_context=True but no contexts were given")
    return bool(use_context)


def _whole_at_least(value: object, least: int) -> bool:
    return isinstance(value, int) and value >= least


def assign_folds(n: int, groups: Sequence[str | None] | None, folds: int) -> np.ndarray:
    """A fold number per passage: whole transcripts per fold when groups are known.

    Passages without a transcript are spread over folds at random (seeded).
    """
    rng = np.random.default_rng(0)
    fold_of = rng.permutation(np.arange(n) % folds)
    named = sorted({g for g in groups or [] if g})
    if len(named) >= folds:
        sizes: dict[str, int] = {}
        for g in groups:
            if g:
                sizes[g] = sizes.get(g, 0) + 1
        load = np.zeros(folds)
        group_fold = {}
        for g in sorted(named, key=lambda g: (-sizes[g], g)):  # largest first, to the lightest
            group_fold[g] = int(np.argmin(load))
            load[group_fold[g]] += sizes[g]
        for i, g in enumerate(groups):
            if g:
                fold_of[i] = group_fold[g]
    return fold_of


def threshold_for_precision(scores: np.ndarray, positive: np.ndarray, target: float) -> float:
    """The lowest threshold whose predictions reach ``target`` precision; 1.01 if none does.

    At least three predictions must lie above it, so that one lucky passage does not count.
    """
    order = np.argsort(-scores)
    hits = np.cumsum(positive[order])
    precision = hits / np.arange(1, len(order) + 1)
    reaching = np.flatnonzero((precision >= target) & (np.arange(1, len(order) + 1) >= 3))
    if len(reaching) == 0:
        return 1.01
    return float(scores[order][reaching[-1]])


def threshold_for_recall(scores: np.ndarray, positive: np.ndarray, target: float) -> float:
    """The highest threshold whose predictions still find ``target`` of the true codes."""
    if not positive.any():
        return 1.01
    true_scores = np.sort(scores[positive])[::-1]
    needed = int(np.ceil(target * len(true_scores)))
    return float(true_scores[needed - 1])
