"""The public Python API: every promised name resolves, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import dtors_nlp as dn

CONTRACT_NAMES = {
    "load_transcript",
    "load_transcripts",
    "load_coded",
    "load_codebook",
    "load_model",
    "CodeSuggester",
}


def test_every_public_name_resolves():
    assert set(dn.__all__) >= CONTRACT_NAMES
    for name in dn.__all__:
        assert getattr(dn, name) is not None


def test_importing_the_library_loads_no_heavy_dependency():
    code = (
        "import sys, dtors_nlp, dtors_nlp.cli; "
        "print(sorted(m for m in ('torch', 'sklearn', 'spacy', 'sentence_transformers') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
