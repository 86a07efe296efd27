"""The ``dtors_codes`` spaCy pipeline component, and ``to_doc`` for transcripts.

Registered through the ``spacy_factories`` entry point, so that after ``pip install dtors-nlp``
``nlp.add_pipe("dtors_codes", config={"model": "models/mine"})`` works without importing
dtors_nlp (``"starter"``, the default, is the starter model shipped with the library).

The component sets ``doc.spans["dtors_codes"]``: one span per suggestion, labelled with its code,
at the passage's character offsets; the group's ``attrs`` hold, in span order, ``scores`` (the
calibrated confidences), ``bands``, ``exemplars`` and ``speakers``, which the span extensions
``span._.dtors_band``, ``span._.dtors_exemplars`` and ``span._.dtors_speaker`` read. Which
passages it codes:

- a doc made by ``to_doc(transcript, nlp)`` carries the transcript's speaker turns
  (``doc.spans["dtors_turns"]``) and passages (``doc.spans["dtors_passages"]``): exactly those
  passages are coded, so the spans are the suggestions ``CodeSuggester.suggest(transcript)``
  makes;
- any other doc is read as one participant's account (a monologue): its text, stripped, is one
  turn, cut into passages as ``load_transcript(..., monologue=True)`` cuts it.

``nlp.pipe`` codes each batch of docs in one call to the model. ``nlp.to_disk`` writes only the
model folder's path and fingerprint (``dtors_codes/model.json``), never the model; loading the
pipeline loads the folder again and refuses one whose fingerprint has changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup
from spacy.util import minibatch

from dtors_nlp.errors import ModelError
from dtors_nlp.transcripts.spans import Passage, Transcript, Turn
from dtors_nlp.transcripts.text import MONOLOGUE_SPEAKER

if TYPE_CHECKING:
    from dtors_nlp.model import CodeSuggester
    from dtors_nlp.suggestion import Suggestion

CODES, TURNS, PASSAGES = "dtors_codes", "dtors_turns", "dtors_passages"
STARTER = "starter"
STARTERS = {STARTER: "default", "starter-fast": "fast", "starter-accurate": "accurate"}  # modes
SETTINGS_FILE = "model.json"


def _suggestion_attr(name: str):
    """A getter of one suggestion attribute (from ``doc.spans["dtors_codes"].attrs``)."""

    def get(span: Span):
        index = _index_in(span, CODES)
        return None if index is None else span.doc.spans[CODES].attrs[name][index]

    return get


def _speaker(span: Span) -> str | None:
    """The speaker of a suggestion, or of the turn a span starts in."""
    found = _suggestion_attr("speakers")(span)
    if found is not None or TURNS not in span.doc.spans:
        return found
    turns = span.doc.spans[TURNS]
    for index, turn in enumerate(turns):
        if turn.start_char <= span.start_char < turn.end_char:
            return turns.attrs["speakers"][index]
    return None


def _index_in(span: Span, group: str) -> int | None:
    if group not in span.doc.spans:
        return None
    for index, other in enumerate(span.doc.spans[group]):
        if (other.start_char, other.end_char, other.label) == (
            span.start_char,
            span.end_char,
            span.label,
        ):
            return index
    return None


for _name, _getter in (
    ("dtors_band", _suggestion_attr("bands")),
    ("dtors_exemplars", _suggestion_attr("exemplars")),
    ("dtors_speaker", _speaker),
):
    if not Span.has_extension(_name):
        Span.set_extension(_name, getter=_getter)


@Language.factory(CODES, default_config={"model": STARTER, "batch_size": 64})
def make_dtors_codes(nlp: Language, name: str, model: str, batch_size: int) -> DtorsCodes:
    """The component: ``model`` is a model folder, or ``"starter"`` for the starter model
    (``"starter-fast"`` and ``"starter-accurate"`` for those of ``--fast`` and ``--accurate``)."""
    return DtorsCodes(name, model, batch_size)


class DtorsCodes:
    """Suggest codes for a doc's passages as ``doc.spans["dtors_codes"]``."""

    def __init__(self, name: str, model: str, batch_size: int = 64) -> None:
        from dtors_nlp.persist import load_model

        self.name = name
        self.batch_size = batch_size
        self.model_path = model
        self.model: CodeSuggester = (
            load_model(mode=STARTERS[model]) if model in STARTERS else load_model(model)
        )

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            transcripts = [doc_transcript(doc, str(i)) for i, doc in enumerate(batch)]
            found = self.model.suggest_many(transcripts)
            for doc, transcript in zip(batch, transcripts):
                set_suggestions(doc, found[transcript.id])
                yield doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Record the model folder and its fingerprint, not the model."""
        from dtors_nlp.files import write_atomically

        settings = {"model": self.model_path, "fingerprint": self._fingerprint()}
        write_atomically(Path(path) / SETTINGS_FILE, json.dumps(settings, indent=2) + "\n")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> DtorsCodes:
        """Check that the model folder is the one the pipeline was saved with."""
        file = Path(path) / SETTINGS_FILE
        recorded = json.loads(file.read_text("utf-8"))["fingerprint"]
        if recorded != self._fingerprint():
            raise ModelError(
                f"model {self.model_path} has changed since the pipeline was saved "
                f"(fingerprint {self._fingerprint()[:12]}, saved with {recorded[:12]})",
                file,
            )
        return self

    def _fingerprint(self) -> str:
        return self.model.folder_.fingerprint


def doc_transcript(doc: Doc, transcript_id: str = "doc") -> Transcript:
    """The transcript whose passages the component codes (see the module docstring)."""
    if PASSAGES in doc.spans:
        return _carried_transcript(doc, transcript_id)
    from dtors_nlp.segment import segment

    text = doc.text
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    turns = [Turn(MONOLOGUE_SPEAKER, "interviewee", start, end, text[start:end])] if end else []
    transcript = Transcript(transcript_id, "", text, turns)
    if turns:
        segment(transcript)
    return transcript


def _carried_transcript(doc: Doc, transcript_id: str) -> Transcript:
    """The transcript ``to_doc`` stored in the doc: its passages, exactly."""
    group = doc.spans[PASSAGES]
    passages = [
        Passage(start, end, doc.text[start:end], speaker, turn, context)
        for (start, end), speaker, turn, context in zip(
            group.attrs["offsets"],
            group.attrs["speakers"],
            group.attrs["turns"],
            group.attrs["contexts"],
        )
    ]
    return Transcript(transcript_id, "", doc.text, [], passages=passages)


def set_suggestions(doc: Doc, suggestions: list[Suggestion]) -> None:
    """``doc.spans["dtors_codes"]`` from suggestions on the doc's text."""
    spans = [_span(doc, s.start, s.end, s.code) for s in suggestions]
    doc.spans[CODES] = SpanGroup(
        doc,
        name=CODES,
        spans=spans,
        attrs={
            "scores": [s.confidence for s in suggestions],
            "bands": [s.band for s in suggestions],
            "exemplars": [list(s.exemplars) for s in suggestions],
            "speakers": [s.speaker for s in suggestions],
        },
    )


def _span(doc: Doc, start: int, end: int, label: str = "") -> Span:
    """The span at exactly these offsets, or the tokens around them where a token is cut."""
    return doc.char_span(start, end, label=label) or doc.char_span(
        start, end, label=label, alignment_mode="expand"
    )


def to_doc(transcript: Transcript, nlp: Language, process: bool = True) -> Doc:
    """A doc of ``transcript.text`` that carries its speaker turns and passages as span groups
    (``dtors_turns``, ``dtors_passages``; ``span._.dtors_speaker`` gives the speaker), run
    through ``nlp`` unless ``process`` is False (then pass it to ``nlp.pipe`` yourself)."""
    doc = nlp.make_doc(transcript.text)
    turns = transcript.turns
    doc.spans[TURNS] = SpanGroup(
        doc,
        name=TURNS,
        spans=[_span(doc, t.start, t.end, t.role) for t in turns],
        attrs={"speakers": [t.speaker for t in turns], "roles": [t.role for t in turns]},
    )
    passages = transcript.passages
    doc.spans[PASSAGES] = SpanGroup(
        doc,
        name=PASSAGES,
        spans=[_span(doc, p.start, p.end) for p in passages],
        attrs={
            "offsets": [[p.start, p.end] for p in passages],
            "speakers": [p.speaker for p in passages],
            "turns": [p.turn for p in passages],
            "contexts": [p.context for p in passages],
        },
    )
    return nlp(doc) if process else doc
