"""dtors-nlp: suggest qualitative codes, with calibrated confidence, for interview transcripts.

The public API. Names are imported on first use so that ``import dtors_nlp`` stays fast.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "load_transcript": "dtors_nlp.transcripts",
    "load_transcripts": "dtors_nlp.transcripts",
    "iter_transcripts": "dtors_nlp.transcripts",
    "ReadOptions": "dtors_nlp.transcripts",
    "Transcript": "dtors_nlp.transcripts.spans",
    "Turn": "dtors_nlp.transcripts.spans",
    "Sentence": "dtors_nlp.transcripts.spans",
    "Passage": "dtors_nlp.transcripts.spans",
    "load_codebook": "dtors_nlp.codebook",
    "Codebook": "dtors_nlp.codebook",
    "Dimension": "dtors_nlp.codebook",
    "Code": "dtors_nlp.codebook",
    "load_coded": "dtors_nlp.coded",
    "CodedPassage": "dtors_nlp.coded",
    "Embedder": "dtors_nlp.embed",
    "CodeSuggester": "dtors_nlp.model",
    "Suggestion": "dtors_nlp.suggestion",
    "load_model": "dtors_nlp.persist",
    "model_info": "dtors_nlp.provenance",
    "verify_draft": "dtors_nlp.provenance",
    "DraftCheck": "dtors_nlp.provenance",
    "methods_text": "dtors_nlp.methods",
    "suggestions_frame": "dtors_nlp.frames",
    "read_suggestions": "dtors_nlp.frames",
    "to_doc": "dtors_nlp.spacy_component",
    "agreement": "dtors_nlp.intercoder",
    "Agreement": "dtors_nlp.intercoder",
    "DtorsError": "dtors_nlp.errors",
    "TranscriptError": "dtors_nlp.errors",
    "CodebookError": "dtors_nlp.errors",
    "TrainingDataError": "dtors_nlp.errors",
    "RefiError": "dtors_nlp.errors",
    "UnsafeFileError": "dtors_nlp.errors",
    "ModelError": "dtors_nlp.errors",
    "OutputError": "dtors_nlp.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dtors_nlp' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
