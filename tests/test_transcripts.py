"""Reading transcripts: label styles, roles, metadata, encodings, every format, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

import dtors_nlp as dn
from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts import iter_transcripts

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "transcripts"
ANNOMI = Path(__file__).resolve().parents[2] / "shared" / "data" / "annomi" / "AnnoMI-simple.csv"


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def load(folder: Path, content: str | bytes, name: str = "t.txt", **options):
    return dn.load_transcript(write(folder, name, content), **options)


def turns(transcript) -> list[tuple[str, str, str]]:
    return [(turn.speaker, turn.role, turn.text) for turn in transcript.turns]


# --- label styles -------------------------------------------------------------------------------

QUESTION, ANSWER = "How did you start?", "At my GP."
LABEL_STYLES = {
    "full words": "Interviewer: How did you start?\nParticipant: At my GP.\n",
    "I and R": "I: How did you start?\nR: At my GP.\n",
    "INT and P07": "INT: How did you start?\nP07: At my GP.\n",
    "timestamp before": "[00:03:12] INT: How did you start?\n[00:03:15] P07: At my GP.\n",
    "bare timestamp before": "00:03:12 INT: How did you start?\n00:03:15 P07: At my GP.\n",
    "timestamp after": "INT (00:03:12): How did you start?\nP07 (00:03:15): At my GP.\n",
    "label on its own line": "Interviewer:\nHow did you start?\n\nParticipant:\nAt my GP.\n",
    "capitals on their own line": "INTERVIEWER\nHow did you start?\n\nPARTICIPANT\nAt my GP.\n",
    "speaker with timestamp on its own line": (
        "Speaker 1 (00:01:02)\nHow did you start?\n\nSpeaker 2 (00:01:09)\nAt my GP.\n"
    ),
    "markdown bold": "**Interviewer:** How did you start?\n**Participant:** At my GP.\n",
    "tab after the label": "INT\tHow did you start?\nP07\tAt my GP.\n",
}


@pytest.mark.parametrize("text", LABEL_STYLES.values(), ids=LABEL_STYLES.keys())
def test_label_styles(tmp_path, text, assert_offsets):
    transcript = load(tmp_path, text)
    assert [(t.role, t.text) for t in transcript.turns] == [
        ("interviewer", QUESTION),
        ("interviewee", ANSWER),
    ]
    assert "00:0" not in transcript.text
    assert_offsets(transcript)


def test_names_in_capitals_get_roles_from_questions(tmp_path):
    text = "JOHN: How are things?\nMARY: Not bad.\nJOHN: And the script?\nMARY: Fine, thanks.\n"
    assert load(tmp_path, text).speakers == {"JOHN": "interviewer", "MARY": "interviewee"}


def test_continuation_lines_belong_to_the_previous_turn(tmp_path):
    text = "I: Why?\nR: Because.\nIt was hard.\n\nReally hard.\nI: I see.\n"
    assert turns(load(tmp_path, text))[1] == (
        "R",
        "interviewee",
        "Because.\nIt was hard.\n\nReally hard.",
    )


def test_timestamps_starting_unlabelled_lines_are_dropped(tmp_path):
    text = "[00:00:01] INT: Why?\n[00:00:04] And then?\n[00:00:09]\n[00:00:12] P07: So.\n"
    assert [turn.text for turn in load(tmp_path, text).turns] == ["Why?\nAnd then?", "So."]


def test_a_sentence_with_a_colon_is_not_a_label(tmp_path):
    text = "I: What happened?\nR: I went back.\nThing is: I was using every day.\nI: Right.\n"
    transcript = load(tmp_path, text)
    assert [turn.speaker for turn in transcript.turns] == ["I", "R", "I"]
    assert transcript.turns[1].text.endswith("Thing is: I was using every day.")


def test_a_url_is_not_a_label(tmp_path):
    text = "I: Where?\nR: Here:\nhttps://example.org/help\nI: Thanks.\n"
    assert "https://example.org/help" in load(tmp_path, text).turns[1].text


def test_labels_differing_in_case_are_one_speaker(tmp_path):
    text = "Interviewer: Hello?\nParticipant: Hi.\nINTERVIEWER: Ready?\n"
    assert load(tmp_path, text).speakers == {
        "Interviewer": "interviewer",
        "Participant": "interviewee",
    }


def test_opening_text_stays_in_the_text_but_in_no_turn(tmp_path, assert_offsets):
    transcript = load(tmp_path, "Interview with P07\n\nI: Hello?\nR: Hi.\n")
    assert transcript.text.startswith("Interview with P07\n\nI: Hello?")
    assert [turn.text for turn in transcript.turns] == ["Hello?", "Hi."]
    assert_offsets(transcript)


def test_text_is_a_readable_transcript(tmp_path):
    transcript = load(tmp_path, "[00:00:01] INT: Hello?\n[00:00:02] P07: Hi.\n")
    assert transcript.text == "INT: Hello?\n\nP07: Hi.\n"
    assert transcript.id == "t"
    assert transcript.source == str(tmp_path / "t.txt")


# --- roles --------------------------------------------------------------------------------------


def test_roles_from_known_labels_beat_questions(tmp_path):
    text = "P07: Can I ask something?\nINT: Of course.\nP07: Why me?\nINT: Chance.\n"
    assert load(tmp_path, text).speakers == {"P07": "interviewee", "INT": "interviewer"}


def test_unknown_speakers_are_interviewees_when_an_interviewer_is_known(tmp_path):
    text = "Moderator: Who wants to start?\nDave: Me.\nSue: Then me?\nDave: Fine.\nSue: Ok.\n"
    speakers = load(tmp_path, text).speakers
    assert speakers == {"Moderator": "interviewer", "Dave": "interviewee", "Sue": "interviewee"}


def test_roles_can_be_overridden(tmp_path):
    text = "JOHN: Hello.\nMARY: Why did you come?\nJOHN: My GP.\nMARY: I see.\n"
    path = write(tmp_path, "t.txt", text)
    assert dn.load_transcript(path).speakers["MARY"] == "interviewer"
    overridden = dn.load_transcript(path, roles={"john": "interviewer"})
    assert overridden.speakers == {"JOHN": "interviewer", "MARY": "interviewee"}
    assert [passage.speaker for passage in overridden.passages] == ["MARY", "MARY"]


@pytest.mark.parametrize(
    ("roles", "problem"),
    [({"BOB": "interviewer"}, "no speaker 'BOB'"), ({"JOHN": "boss"}, "must be 'interviewer'")],
)
def test_bad_role_overrides_are_errors(tmp_path, roles, problem):
    with pytest.raises(TranscriptError, match=problem):
        load(tmp_path, "JOHN: Hi?\nMARY: Hello.\nJOHN: Ok?\n", roles=roles)


def test_a_lone_unknown_speaker_is_an_interviewee(tmp_path):
    assert load(tmp_path, "DEAN: Well?\nDEAN: Anyway.\n").speakers == {"DEAN": "interviewee"}


# --- metadata -----------------------------------------------------------------------------------


def test_key_value_header_becomes_metadata(tmp_path, assert_offsets):
    text = "Participant: P07\nDate: 3 May 2009\n\nInterviewer: Hello?\nParticipant: Hi.\n"
    transcript = load(tmp_path, text)
    assert transcript.metadata == {"Participant": "P07", "Date": "3 May 2009"}
    assert "3 May 2009" not in transcript.text
    assert [turn.text for turn in transcript.turns] == ["Hello?", "Hi."]
    assert_offsets(transcript)


@pytest.mark.parametrize(
    "text",
    [
        "I: Hello?\nR: Hi.\n\nI: Ready?\nR: Yes.\n",
        "Interviewer: Tell me about it.\n\nParticipant: Well.\nParticipant: Anyway.\n",
    ],
)
def test_opening_exchange_is_not_a_header(tmp_path, text):
    transcript = load(tmp_path, text)
    assert transcript.metadata == {}
    assert transcript.turns[0].role == "interviewer"


def test_yaml_front_matter_becomes_metadata(tmp_path):
    text = "---\nparticipant: P02\ndate: 2008-06-02\nthemes: [housing, work]\n---\nI: Hi?\nR: Hi.\n"
    transcript = load(tmp_path, text)
    assert transcript.metadata == {
        "participant": "P02",
        "date": "2008-06-02",
        "themes": "housing, work",
    }
    assert transcript.text == "I: Hi?\n\nR: Hi.\n"


def test_invalid_front_matter_is_an_error(tmp_path):
    with pytest.raises(TranscriptError, match="invalid YAML front matter"):
        load(tmp_path, "---\nkey: [unclosed\n---\nI: Hi?\nR: Hi.\n")


# --- encodings ----------------------------------------------------------------------------------

SAMPLE = "Interviewer: Was it “free”?\nParticipant: It cost £5 a day, café prices.\n"


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.encode("utf-8"),
        SAMPLE.encode("utf-8-sig"),
        SAMPLE.encode("utf-16"),
        SAMPLE.encode("utf-16-le"),
        SAMPLE.encode("utf-16-be"),
        SAMPLE.encode("cp1252"),
        SAMPLE.replace("\n", "\r\n").encode("utf-8"),
        SAMPLE.replace("\n", "\r").encode("cp1252"),
    ],
    ids=["utf-8", "utf-8 BOM", "utf-16 BOM", "utf-16-le", "utf-16-be", "cp1252", "CRLF", "CR"],
)
def test_encodings_and_line_endings(tmp_path, data):
    transcript = load(tmp_path, data)
    assert [turn.text for turn in transcript.turns] == [
        "Was it “free”?",
        "It cost £5 a day, café prices.",
    ]
    assert "\r" not in transcript.text


# --- formats ------------------------------------------------------------------------------------


def test_docx(tmp_path, assert_offsets):
    document = docx.Document()
    for line in ["Date: 1 May 2008", "Site: North", "", "INT: How long?", "P07: A year."]:
        document.add_paragraph(line)
    run = document.add_paragraph("It felt ").add_run("longer.")
    run.add_break()
    run.add_text("Much longer.")
    document.save(tmp_path / "t.docx")
    transcript = dn.load_transcript(tmp_path / "t.docx")
    assert transcript.metadata == {"Date": "1 May 2008", "Site": "North"}
    assert turns(transcript) == [
        ("INT", "interviewer", "How long?"),
        ("P07", "interviewee", "A year.\nIt felt longer.\nMuch longer."),
    ]
    assert_offsets(transcript)


def test_rtf(tmp_path):
    rtf = (
        r"{\rtf1\ansi\deff0 {\fonttbl {\f0 Calibri;}}"
        r"\pard I: How much was it?\par"
        r"\pard R: About \'a35 a day, I didn\u8217?t count.\par}"
    )
    transcript = load(tmp_path, rtf, "t.rtf")
    assert turns(transcript) == [
        ("I", "interviewer", "How much was it?"),
        ("R", "interviewee", "About £5 a day, I didn’t count."),
    ]


VTT = """WEBVTT

NOTE a comment

1
00:00:01.000 --> 00:00:04.000
<v Helen Price>How long have you been coming?</v>

2
00:00:04.500 --> 00:00:07.000
<v Dean>Eight months.

3
00:00:07.000 --> 00:00:09.000
Since <i>January</i> &amp; all.
"""
SRT = """1
00:00:01,000 --> 00:00:04,000
Speaker 1: How long have you been coming?

2
00:00:04,500 --> 00:00:07,000
Speaker 2: Eight months.

3
00:00:07,000 --> 00:00:09,000
Speaker 2: Since January &amp; all.
"""


@pytest.mark.parametrize(("name", "text"), [("t.vtt", VTT), ("t.srt", SRT)])
def test_subtitles(tmp_path, name, text, assert_offsets):
    transcript = load(tmp_path, text, name)
    assert [(turn.role, turn.text) for turn in transcript.turns] == [
        ("interviewer", "How long have you been coming?"),
        ("interviewee", "Eight months. Since January & all."),
    ]
    assert_offsets(transcript)


def test_subtitles_without_cues_are_an_error(tmp_path):
    with pytest.raises(TranscriptError, match="no subtitle cues"):
        load(tmp_path, "WEBVTT\n\nJust some text.\n", "t.vtt")


TABLE_ROWS = [("a", "Researcher", "Why?"), ("a", "P05", "Because."), ("b", "Researcher", "Ok?")]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("t.csv", "interview,speaker,text\n" + "".join(f"{i},{s},{t}\n" for i, s, t in TABLE_ROWS)),
        (
            "t.tsv",
            "interview\tSpeaker\tText\n" + "".join(f"{i}\t{s}\t{t}\n" for i, s, t in TABLE_ROWS),
        ),
        ("t.csv", "interview;speaker;text\n" + "".join(f"{i};{s};{t}\n" for i, s, t in TABLE_ROWS)),
        (
            "t.jsonl",
            "".join(
                json.dumps({"interview": i, "speaker": s, "text": t}) + "\n"
                for i, s, t in TABLE_ROWS
            ),
        ),
    ],
    ids=["csv", "tsv", "csv with semicolons", "jsonl"],
)
def test_utterance_tables(tmp_path, name, content, assert_offsets):
    path = write(tmp_path, name, content)
    transcripts = list(dn.load_transcripts(path))
    assert [t.id for t in transcripts] == ["t#a", "t#b"]
    assert turns(transcripts[0]) == [
        ("Researcher", "interviewer", "Why?"),
        ("P05", "interviewee", "Because."),
    ]
    for transcript in transcripts:
        assert transcript.source == str(path)
        assert_offsets(transcript)


def test_a_table_holding_many_transcripts_needs_an_id(tmp_path):
    path = write(tmp_path, "t.csv", "interview,speaker,text\na,I,Why?\na,R,So.\nb,I,Ok?\nb,R,Ok.\n")
    with pytest.raises(TranscriptError, match="holds 2 transcripts; use load_transcripts"):
        dn.load_transcript(path)
    assert dn.load_transcript(path, transcript_id="b").id == "t#b"
    with pytest.raises(TranscriptError, match="no transcript 'c'"):
        dn.load_transcript(path, transcript_id="c")


def test_table_columns_can_be_named(tmp_path):
    path = write(tmp_path, "t.csv", "who said,words,when\nI,Why?,1\n,And then?,2\nR,So.,3\n")
    transcript = dn.load_transcript(path, speaker_column="Who said", text_column="words")
    assert turns(transcript) == [
        ("I", "interviewer", "Why?"),
        ("I", "interviewer", "And then?"),
        ("R", "interviewee", "So."),
    ]
    assert transcript.id == "t"


def test_table_constant_columns_become_metadata(tmp_path):
    path = write(tmp_path, "t.csv", "speaker,text,site,minute\nI,Why?,North,1\nR,So.,North,2\n")
    assert dn.load_transcript(path).metadata == {"site": "North"}


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("t.csv", "speaker,words\nI,Why?\n", "no text column"),
        ("t.csv", "speaker,text\n", "no rows"),
        ("t.jsonl", '{"speaker": "I", "text": "Why?"}\nnot json\n', "line 2 is not valid JSON"),
        ("t.jsonl", "[1, 2]\n", "line 1 is not a JSON object"),
    ],
)
def test_bad_tables(tmp_path, name, content, problem):
    with pytest.raises(TranscriptError, match=problem):
        load(tmp_path, content, name)


def test_annomi_table_loads_one_transcript_per_id(assert_offsets):
    if not ANNOMI.exists():
        pytest.skip("the shared AnnoMI data is not next to this clone")
    transcripts = list(dn.load_transcripts(ANNOMI))
    assert len(transcripts) == 133
    first = transcripts[0]
    assert first.id == "AnnoMI-simple#0"
    assert first.speakers == {"therapist": "interviewer", "client": "interviewee"}
    assert first.metadata["topic"] == "reducing alcohol consumption"
    assert first.turns[0].text.startswith("Thanks for filling it out.")
    for transcript in transcripts:
        assert_offsets(transcript)


EXAMPLE_SPEAKERS = {
    "p01-keyworker.txt": {"Interviewer": "interviewer", "Participant": "interviewee"},
    "p02-methadone.txt": {"I": "interviewer", "R": "interviewee"},
    "p04-group-session.vtt": {"Helen Price": "interviewer", "Dean": "interviewee"},
    "p07-recovery.docx": {"INT": "interviewer", "P07": "interviewee"},
    "provider-03.txt": {"INT": "interviewer", "MARCUS": "interviewee"},
    "ts18-croydon-dip-young-man.txt": {"Interviewer": "interviewer", "Jordan": "interviewee"},
    "pr10-reintegration-link-worker.txt": {
        "Interviewer": "interviewer",
        "Link worker": "interviewee",
    },
}


@pytest.mark.parametrize("name", EXAMPLE_SPEAKERS)
def test_examples(name, assert_offsets):
    transcript = dn.load_transcript(EXAMPLES / name)
    assert transcript.speakers == EXAMPLE_SPEAKERS[name]
    assert 10 <= len(transcript.turns) <= 150  # short samples, and two whole interviews
    assert transcript.passages
    assert_offsets(transcript)


def test_every_example_is_covered():
    files = {path.name for path in EXAMPLES.iterdir()}
    assert files == {*EXAMPLE_SPEAKERS, "utterances.csv"}
    assert len(list(dn.load_transcripts(EXAMPLES / "utterances.csv"))) == 2


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("t.txt", b"", "empty file"),
        ("t.txt", b"  \n\r\n\t", "empty file"),
        ("t.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary data"),
        ("t.txt", b"%PDF-1.4\n", "PDF"),
        ("t.txt", b"Interviewer: caf\x81\x8d\n", "cannot decode byte 0x81"),
        ("t.pdf", b"I: Hi?\nR: Hi.\n", "unknown transcript format '.pdf'"),
        ("t.docx", b"I: Hi?\nR: Hi.\n", "not a valid .docx file"),
        ("t.docx", b"PK\x03\x04 truncated", "not a valid .docx file"),
        ("t.rtf", b"I: Hi?\nR: Hi.\n", "not an RTF file"),
        ("t.txt", b"I went to the clinic. Then home.\n", "no speaker labels found"),
    ],
)
def test_bad_input_is_a_one_line_error_naming_the_file(tmp_path, name, content, problem):
    path = write(tmp_path, name, content)
    with pytest.raises(TranscriptError, match=problem) as caught:
        dn.load_transcript(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message


def test_docx_that_is_a_zip_but_not_a_document(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "t.docx", "w") as archive:
        archive.writestr("hello.txt", "not a document")
    with pytest.raises(TranscriptError, match="not a valid .docx file"):
        dn.load_transcript(tmp_path / "t.docx")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(TranscriptError, match="no such file"):
        dn.load_transcript(tmp_path / "nothing.txt")
    with pytest.raises(TranscriptError, match="is a folder; use load_transcripts"):
        dn.load_transcript(tmp_path)


def test_monologue_option_reads_unlabelled_text(tmp_path, assert_offsets):
    text = "Title: Diary\n\nI went to the clinic. Then home.\n\nNext day I went back.\n"
    transcript = load(tmp_path, text, monologue=True)
    assert turns(transcript) == [
        (
            "Participant",
            "interviewee",
            "I went to the clinic. Then home.\n\nNext day I went back.",
        )
    ]
    assert transcript.metadata == {"Title": "Diary"}
    assert [p.context for p in transcript.passages] == [""]
    assert_offsets(transcript)


# --- batches ------------------------------------------------------------------------------------


def test_load_transcripts_walks_folders_sorted_skipping_hidden_and_other_files(tmp_path):
    good = "I: Hi?\nR: Hi.\n"
    for name in ["b.txt", "a/c.md", "a/.hidden.txt", ".git/x.txt", "~$lock.txt", "notes.pdf"]:
        write(tmp_path, name, good)
    ids = [t.id for t in dn.load_transcripts(tmp_path)]
    assert ids == ["c", "b"]
    assert [t.id for t in dn.load_transcripts([tmp_path / "b.txt", str(tmp_path / "a")])] == [
        "b",
        "c",
    ]


def test_iter_transcripts_reports_bad_files_and_carries_on(tmp_path):
    write(tmp_path, "1.txt", "I: Hi?\nR: Hi.\n")
    write(tmp_path, "2.txt", b"")
    write(tmp_path, "3.txt", "I: Hi?\nR: Hi.\n")
    results = list(iter_transcripts([tmp_path, tmp_path / "missing.txt"]))
    assert [(path.name, type(result).__name__) for path, result in results] == [
        ("1.txt", "Transcript"),
        ("2.txt", "TranscriptError"),
        ("3.txt", "Transcript"),
        ("missing.txt", "TranscriptError"),
    ]
    assert results[1][1].problem == "empty file"
    with pytest.raises(TranscriptError, match="empty file"):
        list(dn.load_transcripts(tmp_path))


def test_a_folder_without_transcripts_is_reported(tmp_path):
    write(tmp_path, "photo.jpg", b"\xff\xd8\xff")
    [(path, problem)] = list(iter_transcripts(tmp_path))
    assert path == tmp_path and "no transcripts" in str(problem)
