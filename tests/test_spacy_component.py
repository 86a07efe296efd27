"""The dtors_codes spaCy component: the same suggestions as the model, batching, serialisation."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import spacy

import dtors_nlp as dn
from dtors_nlp.persist import starter_model_path

EXAMPLES = "examples/transcripts"


@pytest.fixture(scope="module")
def nlp():
    """A blank English pipeline with the component, found through the entry point."""
    pipeline = spacy.blank("en")
    pipeline.add_pipe("dtors_codes")
    return pipeline


@pytest.fixture(scope="module")
def model(nlp):
    return nlp.get_pipe("dtors_codes").model


def cells(suggestions, shift: int = 0):
    return [
        (s.start - shift, s.end - shift, s.code, s.confidence, s.band, list(s.exemplars))
        for s in suggestions
    ]


def span_cells(doc, shift: int = 0):
    group = doc.spans["dtors_codes"]
    return [
        (s.start_char - shift, s.end_char - shift, s.label_, score)
        + (s._.dtors_band, s._.dtors_exemplars)
        for s, score in zip(group, group.attrs["scores"])
    ]


def test_the_entry_point_registers_the_factory_without_importing_dtors_nlp():
    code = (
        "import sys, spacy; nlp = spacy.blank('en'); "
        "print('dtors_codes' in spacy.registry.factories.get_all() or "
        "nlp.has_factory('dtors_codes'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


def test_docs_from_transcripts_get_exactly_the_models_suggestions(nlp, model):
    transcripts = list(dn.load_transcripts(EXAMPLES))
    docs = list(nlp.pipe((dn.to_doc(t, nlp, process=False) for t in transcripts), batch_size=2))
    for transcript, doc in zip(transcripts, docs):
        expected = model.suggest(transcript)
        assert span_cells(doc) == cells(expected)
        assert [s._.dtors_speaker for s in doc.spans["dtors_codes"]] == [
            s.speaker for s in expected
        ]
    assert sum(len(doc.spans["dtors_codes"]) for doc in docs) > 0


def test_to_doc_keeps_speakers_as_span_extensions(nlp):
    transcript = dn.load_transcript(f"{EXAMPLES}/p01-keyworker.txt")
    doc = dn.to_doc(transcript, nlp)
    turns = doc.spans["dtors_turns"]
    assert [t._.dtors_speaker for t in turns] == [t.speaker for t in transcript.turns]
    assert [t.label_ for t in turns] == [t.role for t in transcript.turns]
    assert [(t.start_char, t.end_char) for t in turns] == [
        (t.start, t.end) for t in transcript.turns
    ]


def test_a_doc_without_speakers_is_coded_as_a_monologue(nlp, model, tmp_path):
    account = (
        "I was rattling by dinner time most days. My keyworker said the script would help.\n"
        "But I didn't trust the clinic, they never listened. I kept using on top of it.\n"
        "Now I'm on a reduction and my mum is helping with the kids."
    )
    path = tmp_path / "account.txt"
    path.write_text(account, encoding="utf-8")
    transcript = dn.load_transcript(path, monologue=True)
    turn = transcript.turns[0]
    doc = nlp(turn.text)
    assert span_cells(doc) == cells(model.suggest(transcript), shift=turn.start)
    assert len(doc.spans["dtors_codes"]) > 0


def test_empty_docs_get_an_empty_group(nlp):
    assert len(nlp("   ").spans["dtors_codes"]) == 0


def test_to_disk_references_the_model_folder_and_refuses_a_changed_one(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(starter_model_path(), folder)
    nlp = spacy.blank("en")
    nlp.add_pipe("dtors_codes", config={"model": str(folder)})
    nlp.to_disk(tmp_path / "pipeline")
    saved = sorted(p.name for p in (tmp_path / "pipeline" / "dtors_codes").iterdir())
    assert saved == ["model.json"]
    assert "arrays" not in "".join(
        p.name for p in (tmp_path / "pipeline").rglob("*") if p.is_file()
    )
    loaded = spacy.load(tmp_path / "pipeline")
    assert "dtors_codes" in loaded("I was rattling by dinner time.").spans
    (tmp_path / "pipeline" / "dtors_codes" / "model.json").write_text(
        '{"model": "x", "fingerprint": "0000"}', encoding="utf-8"
    )
    with pytest.raises(dn.ModelError, match="has changed since the pipeline was saved"):
        spacy.load(tmp_path / "pipeline")
