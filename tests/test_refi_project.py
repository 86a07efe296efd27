"""REFI-QDA projects: drafts of suggestions, and coded projects read back for training."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dtors_nlp.codebook import load_codebook
from dtors_nlp.errors import OutputError, RefiError
from dtors_nlp.refi.codebook import read_codebook
from dtors_nlp.refi.project import coded_selections, read_qdpx, write_coded_qdpx, write_qdpx
from dtors_nlp.suggestion import Suggestion
from dtors_nlp.transcripts.spans import Transcript

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "refi-qda" / "samples"
CODEBOOK = load_codebook()
MODEL = "dtors-starter 0.1.0"
TEXT = "I: How long did you wait?\nP: Six weeks 😩 for a script, and I was rattling by then.\n"
GUID = "11111111-2222-4333-8444-555555555555"


def transcript(text: str = TEXT, id: str = "int01") -> Transcript:
    return Transcript(id=id, source=f"{id}.txt", text=text, turns=[])


def suggestion(start: int, end: int, code: str, band: str = "likely", **extra) -> Suggestion:
    fields = {"transcript": "int01", "source": "int01.txt", "passage": 0, "speaker": "P"}
    fields |= {"text": TEXT[start:end], "confidence": 0.87, "model": MODEL}
    fields |= {"start": start, "end": end, "code": code, "band": band, **extra}
    return Suggestion(exemplars=("I waited months.",), **fields)


SUGGESTIONS = [
    suggestion(29, 54, "barrier/engagement"),
    suggestion(29, 54, "pressure/physical_need", band="review"),
    suggestion(56, 83, "pressure/physical_need"),
]


def draft(tmp_path: Path, suggestions=SUGGESTIONS, name: str = "draft.qdpx") -> Path:
    path = tmp_path / name
    write_qdpx(path, [transcript()], suggestions, CODEBOOK, MODEL)
    return path


def project_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde").decode("utf-8")


def qdpx(tmp_path: Path, project: str, members: dict[str, bytes | str]) -> Path:
    path = tmp_path / "foreign.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", project)
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_draft_round_trips_selections_codes_and_offsets(tmp_path):
    project = read_qdpx(draft(tmp_path))
    (source,) = project.sources
    assert source.name == "int01" and source.text == TEXT
    read_back = {
        (s.start, s.end, s.text, project.codes[c.code].qualified)
        for s in source.selections
        for c in s.codings
    }
    assert read_back == {(s.start, s.end, TEXT[s.start : s.end], s.code) for s in SUGGESTIONS}
    assert read_codebook(tmp_path / "draft.qdpx") == CODEBOOK


def test_draft_marks_model_suggestions_for_coders(tmp_path):
    project = read_qdpx(draft(tmp_path))
    assert [user.name for user in project.users.values()] == [f"dtors-nlp {MODEL}"]
    selection = project.sources[0].selections[0]
    assert selection.description.splitlines()[1:] == [
        "confidence 0.87 (likely)",
        "closest coded example: I waited months.",
    ]
    xml = project_xml(tmp_path / "draft.qdpx")
    assert re.search(r"</Description>\s*<Coding", xml)
    assert re.findall(r'<Set guid="[^"]+" name="(\w+)"', xml) == ["DTORS", "likely", "review"]
    assert xml.count("<MemberNote") == len(SUGGESTIONS)


def test_draft_is_reproducible(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert draft(tmp_path / "a").read_bytes() == draft(tmp_path / "b").read_bytes()


def test_draft_validates_against_project_schema(tmp_path):
    schema = SHARED / "refi-qda" / "Project.xsd"
    if not schema.is_file():
        pytest.skip("../shared/refi-qda is not beside the clone")
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(schema)).validate(project_xml(draft(tmp_path)))


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (suggestion(0, 5, "barrier/engagement", transcript="int99"), "unknown transcript 'int99'"),
        (suggestion(0, 5, "barrier/nonsense"), "not in codebook"),
        (suggestion(80, 500, "barrier/engagement"), "outside transcript"),
        (SUGGESTIONS[0], "appears twice"),
    ],
)
def test_bad_suggestions_are_refused(tmp_path, bad, problem):
    with pytest.raises(OutputError, match=problem):
        draft(tmp_path, [*SUGGESTIONS, bad])
    assert not (tmp_path / "draft.qdpx").exists()


def test_transcripts_with_the_same_id_are_refused(tmp_path):
    with pytest.raises(OutputError, match="same id"):
        write_qdpx(tmp_path / "d.qdpx", [transcript(), transcript()], [], CODEBOOK, MODEL)


def test_empty_draft_is_valid(tmp_path):
    write_qdpx(tmp_path / "empty.qdpx", [], [], CODEBOOK, MODEL)
    assert read_qdpx(tmp_path / "empty.qdpx").sources == ()


def test_model_codings_count_only_once_a_coder_confirms(tmp_path):
    path = draft(tmp_path)
    assert list(coded_selections(read_qdpx(path))) == []
    human = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    xml = project_xml(path).replace(
        "</Users>", f'<User guid="{human.upper()}" name="Ana"/></Users>'
    )
    code = re.search(r'guid="([^"]+)" name="engagement"', xml).group(1)
    coding = f'<Coding guid="{GUID}" creatingUser="{human}"><CodeRef targetGUID="{code}"/></Coding>'
    xml = xml.replace("<NoteRef", coding + "<NoteRef", 1)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist() if name != "project.qde"}
    (passage,) = coded_selections(read_qdpx(qdpx(tmp_path, xml, members)))
    assert passage.text == TEXT[29:54] and passage.coder == "Ana"
    assert passage.codes == {"barrier/engagement"}


def test_placeholder_text_is_read_from_docx(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for paragraph in ["Interviewer: Hello.", "Participant: Waiting lists 😩 were long."]:
        document.add_paragraph(paragraph)
    data = io.BytesIO()
    document.save(data)
    kim = "{ABC0000A-0000-4000-8000-000000000000}"
    project = (
        '<Project xmlns="urn:QDA-XML:project:1.0" name="nv">'
        f'<Users><User guid="{kim}" name="Kim"/></Users><CodeBook><Codes>'
        f'<Code guid="{GUID.upper()}" name="Waiting" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{GUID}" name="int02" plainTextPath="internal://{GUID}.txt"'
        f' richTextPath="internal://{GUID}.docx">'
        f'<PlainTextSelection guid="{GUID}" startPosition="33" endPosition="46"'
        f' creatingUser="{kim.lower()}">'
        f'<Coding guid="{GUID}"><CodeRef targetGUID="{{{GUID}}}"/></Coding></PlainTextSelection>'
        "</TextSource></Sources></Project>"
    )
    members = {f"sources/{GUID}.txt": "\n", f"sources/{GUID}.docx": data.getvalue()}
    (passage,) = coded_selections(read_qdpx(qdpx(tmp_path, project, members)))
    assert passage == ("int02", "Waiting lists", frozenset({"Waiting"}), "Kim")


def test_inline_text_relative_paths_and_crlf(tmp_path):
    project = (
        '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Sources>'
        f'<TextSource guid="{GUID}" name="inline">'
        "<PlainTextContent>a\r\nb</PlainTextContent></TextSource>"
        '<TextSource guid="22222222-2222-4222-8222-222222222222" plainTextPath="board.txt"/>'
        "</Sources></Project>"
    )
    sources = read_qdpx(qdpx(tmp_path, project, {"sources/board.txt": "x\r\ny\rz"})).sources
    assert [(s.name, s.text) for s in sources] == [("inline", "a\nb"), ("board.txt", "x\ny\nz")]


@pytest.mark.parametrize(
    ("selection", "problem"),
    [
        ('startPosition="2" endPosition="99"', "lies outside the text"),
        ('startPosition="two" endPosition="3"', "whole-number positions"),
    ],
)
def test_broken_selections_are_refused(tmp_path, selection, problem):
    project = (
        '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Sources>'
        f'<TextSource guid="{GUID}" name="s"><PlainTextContent>short</PlainTextContent>'
        f'<PlainTextSelection guid="{GUID}" {selection}/></TextSource></Sources></Project>'
    )
    with pytest.raises(RefiError, match=problem):
        read_qdpx(qdpx(tmp_path, project, {}))


def sample(name: str) -> Path:
    if not (SAMPLES / name).is_file():
        pytest.skip("../shared/refi-qda/samples is not beside the clone")
    return SAMPLES / name


def test_nvivo_sample_loads():
    project = read_qdpx(sample("nvivo-mac-15.qdpx"))
    assert len(project.sources) == 2 and len(project.codes) == 262
    assert {user.name for user in project.users.values()} == {"chrisp", "cp"}


def test_atlas_sample_loads_with_upper_case_guids():
    project = read_qdpx(sample("atlas-ti-23.qdpx"))
    assert project.sources == () and "a182cd3a-d83c-4d8c-bc80-26d9103ec6d6" in project.codes


def test_coded_sample_gives_158_training_passages():
    project = read_qdpx(sample("qc-demo-coded.qdpx"))
    passages = list(coded_selections(project))
    assert sum(len(source.selections) for source in project.sources) == 158
    assert len(passages) == 158
    first = passages[0]
    assert first.source == "board_2017.txt" and first.coder == "cp"
    assert first.codes == {"rq2_curriculum_and_instruction/pedagogy/fun"}
    assert first.text.startswith("This district goal is engage every student")


TEXTS = st.text(
    st.characters(blacklist_characters="\r\ufeff", blacklist_categories=["Cs"]), min_size=1
)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), text=TEXTS)
def test_round_trip_keeps_offsets_and_text(tmp_path_factory, data, text):
    spans = data.draw(
        st.lists(
            st.tuples(
                st.integers(0, len(text)),
                st.integers(0, len(text)),
                st.sampled_from(CODEBOOK.codes),
            ),
            max_size=8,
            unique_by=lambda span: (min(span[:2]), max(span[:2]), span[2]),
        )
    )
    suggestions = [suggestion(min(a, b), max(a, b), code) for a, b, code in spans]
    path = tmp_path_factory.mktemp("qdpx") / "draft.qdpx"
    write_qdpx(path, [transcript(text)], suggestions, CODEBOOK, MODEL)
    project = read_qdpx(path)
    assert project.sources[0].text == text
    read_back = sorted(
        (s.start, s.end, s.text, project.codes[c.code].qualified)
        for s in project.sources[0].selections
        for c in s.codings
    )
    assert read_back == sorted((s.start, s.end, text[s.start : s.end], s.code) for s in suggestions)


def test_a_coders_project_keeps_each_stretch_of_text_with_all_its_codes(tmp_path: Path) -> None:
    codings = [
        ("int01", 29, 54, "barrier/engagement"),
        ("int01", 56, 83, "pressure/physical_need"),
        ("int01", 29, 54, "pressure/physical_need"),
    ]
    path = tmp_path / "coded.qdpx"
    write_coded_qdpx(path, [transcript()], codings, CODEBOOK, "Second coder")
    project = read_qdpx(path)
    assert sorted(coded_selections(project)) == [
        (
            "int01",
            TEXT[29:54],
            frozenset({"barrier/engagement", "pressure/physical_need"}),
            "Second coder",
        ),
        ("int01", TEXT[56:83], frozenset({"pressure/physical_need"}), "Second coder"),
    ]
    assert "<Note " not in project_xml(path) and "NoteRef" not in project_xml(path)
    with pytest.raises(
        OutputError, match="coding barrier/engagement at 29-54 of 'int01' appears twice"
    ):
        write_coded_qdpx(tmp_path / "twice.qdpx", [transcript()], codings * 2, CODEBOOK, "C")
    assert not (tmp_path / "twice.qdpx").exists()
