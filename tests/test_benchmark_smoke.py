"""The throughput benchmark's corpus generator: reproducible, and its transcripts load."""

from __future__ import annotations

import dtors_nlp as dn


def test_the_synthetic_corpus_is_reproducible_and_loads(tmp_path, load_script):
    throughput = load_script("benchmarks/throughput.py")
    first = throughput.generate_corpus(tmp_path / "a", 1, seed=3, words=600)
    again = throughput.generate_corpus(tmp_path / "b", 1, seed=3, words=600)
    assert first[0].read_text("utf-8") == again[0].read_text("utf-8")
    transcript = dn.load_transcript(first[0])
    assert {turn.role for turn in transcript.turns} == {"interviewer", "interviewee"}
    assert len(transcript.text.split()) >= 600
    texts = [passage.text for passage in transcript.passages]
    assert texts and len(set(texts)) > 0.9 * len(texts)  # the embedding cache must not hit
