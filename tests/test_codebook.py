"""The codebook: the shipped DTORS codebook, a team's own YAML, its errors, and the CLI; a model
trained on another version of the codebook loads and says so in one line."""

import dataclasses
import re
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from dtors_nlp.cli import main
from dtors_nlp.codebook import Code, load_codebook, write_codebook_yaml
from dtors_nlp.coded import load_coded
from dtors_nlp.errors import CodebookError, ModelError
from dtors_nlp.model import CodeSuggester
from dtors_nlp.persist import (
    CodebookChangedWarning,
    codebook_note,
    load_model,
    starter_model_path,
)
from dtors_nlp.refi.codebook import read_codebook

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CODEBOOK_1_0 = Path(__file__).parent / "data" / "dtors-codebook-1.0.yaml"
NEW_IN_1_1 = [
    "capacity/recovery_capacity",
    "system/cjs_referral_impact",
    "system/partnership_working",
    "system/numbers_and_retention",
]

GOOD = """\
name: mine
version: "2"
dimensions:
  - name: mood
    label: Mood
    multi_label: false
    codes:
      - name: low
        description: Feeling down.
      - name: high
"""


def write(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_codebook_is_1_1_with_eight_dimensions_and_25_codes():
    book = load_codebook()
    assert (book.name, book.version) == ("DTORS", "1.1")
    assert [d.name for d in book.dimensions] == [
        "pressure",
        "barrier",
        "motivation",
        "outcome",
        "environment",
        "service_response",
        "capacity",
        "system",
    ]
    assert len(book.codes) == 25
    assert "barrier/engagement" in book.codes
    assert book.codes[-4:] == NEW_IN_1_1
    assert not book.dimension("motivation").multi_label
    assert not book.dimension("outcome").multi_label
    assert not book.dimension("capacity").multi_label
    assert book.dimension("system").multi_label
    assert book.dimension("system").label == "The treatment system, as providers see it"


def test_1_1_keeps_every_code_of_1_0_in_its_place():
    old, new = load_codebook(CODEBOOK_1_0), load_codebook()
    assert (old.version, len(old.codes)) == ("1.0", 21)
    assert new.codes[:21] == old.codes
    assert [d.multi_label for d in new.dimensions[:6]] == [d.multi_label for d in old.dimensions]


def test_every_shipped_code_has_inclusion_exclusion_notes_and_keywords():
    book = load_codebook()
    for qualified in book.codes:
        code = book.code(qualified)
        assert code.description and code.include and code.exclude, qualified
        assert isinstance(code.keywords, tuple) and len(code.keywords) >= 5, qualified
        assert all(k == k.strip() and k for k in code.keywords), qualified
        named = set(re.findall(r"\b[a-z_]+/[a-z_]+\b", code.exclude))
        assert named - {qualified}, f"{qualified}: the exclusion notes name no other code"
        assert named <= set(book.codes), f"{qualified}: unknown codes {named - set(book.codes)}"


def test_motivation_is_defined_by_depth_not_by_the_route_into_treatment():
    book = load_codebook()
    motivation = book.dimension("motivation").description
    assert "depth and durability" in motivation and "route into treatment" in motivation
    surface, deep = book.code("motivation/surface"), book.code("motivation/deep")
    assert "driven from outside" not in surface.description
    assert "unlikely to last" in surface.description and "durable" in deep.description
    assert "whatever the route into treatment" in surface.include
    assert "court" in deep.include  # a court-referred client may have deep motivation
    assert not {"court", "probation", "prison"} & {k.lower() for k in surface.keywords}


def test_the_codebook_carries_the_notes_for_coders():
    notes = load_codebook().notes
    for rule in (
        "interviewee's speech",
        "question is context",
        "Most passages carry no code",
        "Providers",
        "pressure, barrier, motivation and outcome codes about clients",
        "at most one code per passage",
        "coded each time it recurs",
    ):
        assert rule in notes


def test_a_1_0_codebook_file_loads_as_before():
    book = load_codebook(CODEBOOK_1_0)
    assert book.notes == "" and book.describe("barrier/engagement").startswith("Waiting times")
    assert all(
        (c.include, c.exclude, c.keywords) == ("", "", ()) for d in book.dimensions for c in d.codes
    )
    data = book.to_dict()  # no new keys: models trained on 1.0 keep their files byte for byte
    assert list(data) == ["name", "version", "description", "dimensions"]
    assert {key for d in data["dimensions"] for c in d["codes"] for key in c} == {
        "name",
        "description",
    }


def test_own_yaml_codebook_loads(tmp_path):
    book = load_codebook(write(tmp_path, GOOD))
    assert book.codes == ["mood/low", "mood/high"]
    assert book.describe("mood/low") == "Feeling down."
    assert not book.dimension("mood").multi_label


NOTED = GOOD.replace(
    'version: "2"\n', 'version: "2"\nnotes: |\n  - Code the answer.\n  - Most passages: none.\n'
).replace(
    "        description: Feeling down.\n",
    "        description: Feeling down.\n"
    "        include: Sad, flat, hopeless.\n"
    "        exclude: Feeling up; use mood/high.\n"
    "        keywords: [down, low, fed up, 24]\n",
)


def test_inclusion_exclusion_keywords_and_notes_load_and_round_trip(tmp_path):
    book = load_codebook(write(tmp_path, NOTED))
    low = book.code("mood/low")
    assert (low.include, low.exclude) == ("Sad, flat, hopeless.", "Feeling up; use mood/high.")
    assert low.keywords == ("down", "low", "fed up", "24")
    assert book.notes == "- Code the answer.\n- Most passages: none."
    assert book.describe("mood/low") == (
        "Feeling down.\nInclude: Sad, flat, hopeless.\nExclude: Feeling up; use mood/high.\n"
        "Keywords: down, low, fed up, 24"
    )
    assert book.describe("mood/high") == ""
    write_codebook_yaml(book, tmp_path / "copy.yaml")
    assert "notes: |-\n  - Code the answer.\n" in (tmp_path / "copy.yaml").read_text("utf-8")
    assert load_codebook(tmp_path / "copy.yaml") == book


def test_keywords_given_in_python_as_a_list_become_a_tuple():
    assert Code("low", keywords=["down", "flat"]) == Code("low", keywords=("down", "flat"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD.replace("name: high", "name: low"), "code mood/low appears twice"),
        (GOOD.replace("label: Mood", "colour: red"), "unknown field 'colour' in dimension"),
        (GOOD.replace('version: "2"', "owner: me"), "unknown field 'owner' in codebook"),
        (GOOD.split("    codes:")[0] + "    codes: []\n", "dimension 'mood' has no codes"),
        (GOOD.replace("name: mood", "name: Mood!"), "must be lower-case letters"),
        (GOOD.replace("multi_label: false", "multi_label: sometimes"), "must be true or false"),
        ("name: x\ndimensions: [\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        (
            NOTED.replace("[down, low, fed up, 24]", "down"),
            "keywords of code mood/low must be a list",
        ),
        (NOTED.replace("[down, low, fed up, 24]", "[down, {a: b}]"), "must be a list of words"),
        (NOTED.replace("[down, low, fed up, 24]", "[down, a;b]"), "keyword 'a;b' of code mood/low"),
        (NOTED.replace("[down, low, fed up, 24]", "[down, '  ']"), "must be a word or phrase"),
        (NOTED.replace("include: Sad, flat, hopeless.", "include: [sad]"), "include of code"),
        (
            NOTED.replace("exclude: Feeling up; use mood/high.", "exclude: {a: b}"),
            "exclude of code",
        ),
        (GOOD.replace('version: "2"', "notes: [a, b]"), "notes of the codebook must be text"),
        (NOTED.replace("keywords:", "keyword:"), "unknown field 'keyword' in code in 'mood'"),
    ],
)
def test_invalid_yaml_codebooks_name_file_and_problem(tmp_path, text, problem):
    path = write(tmp_path, text)
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert problem in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(CodebookError, match="no such file"):
        load_codebook(tmp_path / "absent.yaml")
    with pytest.raises(CodebookError, match="unknown codebook format '.json'"):
        load_codebook(write(tmp_path, "{}", "book.json"))


def test_yaml_round_trip(tmp_path):
    book = load_codebook()
    write_codebook_yaml(book, tmp_path / "copy.yaml")
    assert load_codebook(tmp_path / "copy.yaml") == book


def test_cli_show_prints_codes():
    result = CliRunner().invoke(main, ["codebook", "show"])
    assert result.exit_code == 0, result.output
    assert "engagement" in result.output and "single-label" in result.output


def test_cli_show_prints_notes_inclusion_exclusion_and_keywords():
    result = CliRunner().invoke(main, ["codebook", "show"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("DTORS 1.1\n")
    assert "Notes for coders" in result.output and "Most passages carry no code" in result.output
    for code in NEW_IN_1_1:
        assert code in result.output
    assert "Include: " in result.output and "Exclude: " in result.output
    assert "Keywords: rattling, clucking," in result.output


def test_cli_show_a_1_0_codebook_has_no_note_lines():
    result = CliRunner().invoke(main, ["codebook", "show", "--codebook", str(CODEBOOK_1_0)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("DTORS 1.0\n")
    assert "Include:" not in result.output and "Notes for coders" not in result.output


def test_cli_export_qdc_round_trips_and_refuses_overwrite(tmp_path):
    out = tmp_path / "dtors.qdc"
    runner = CliRunner()
    result = runner.invoke(main, ["codebook", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert read_codebook(out) == load_codebook()
    again = runner.invoke(main, ["codebook", "export", str(out)])
    assert again.exit_code == 2
    assert "already exists" in again.output
    assert runner.invoke(main, ["codebook", "export", str(out), "--force"]).exit_code == 0


def test_cli_export_from_own_codebook_to_yaml(tmp_path):
    source = write(tmp_path, GOOD)
    out = tmp_path / "copy.yml"
    result = CliRunner().invoke(main, ["codebook", "export", str(out), "--codebook", str(source)])
    assert result.exit_code == 0, result.output
    assert load_codebook(out) == load_codebook(source)


def test_cli_bad_codebook_is_one_line_exit_2(tmp_path):
    path = write(tmp_path, GOOD.replace("name: high", "name: low"))
    result = CliRunner().invoke(main, ["codebook", "show", "--codebook", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert str(path) in result.output and "Traceback" not in result.output


def test_exported_qdc_validates_against_schema(tmp_path):
    schema = SHARED / "refi-qda" / "Codebook.xsd"
    if not schema.is_file():
        pytest.skip("../shared/refi-qda is not beside the clone")
    xmlschema = pytest.importorskip("xmlschema")
    out = tmp_path / "dtors.qdc"
    CliRunner().invoke(main, ["codebook", "export", str(out)])
    xmlschema.XMLSchema(str(schema)).validate(str(out))


# --- a model trained on codebook 1.0 -------------------------------------------------------------

STATIC = starter_model_path("minilm-static")


@pytest.fixture(scope="module")
def model_1_0(tmp_path_factory):
    """A model folder trained (fast, static embeddings) on the starter passages with codebook 1.0:
    a team's model from before 1.1."""
    from dtors_nlp.embed import Embedder

    old = load_codebook(CODEBOOK_1_0)
    known = frozenset(old.codes)
    passages = [
        dataclasses.replace(p, codes=p.codes & known, rejected=p.rejected & known)
        for p in load_coded(REPO / "models" / "dtors-starter" / "training-data" / "vignettes")
    ]
    embedder = Embedder(STATIC, cache=False)
    model = CodeSuggester(codebook=old, embedder=embedder, prior_data=None, name="team-2008")
    folder = tmp_path_factory.mktemp("models") / "team-2008"
    model.fit_coded(passages[::4]).save(folder)
    return folder


def test_the_note_names_both_codebooks_and_the_codes_not_suggested():
    old, new = load_codebook(CODEBOOK_1_0), load_codebook()
    assert codebook_note("m", new, new) is None
    assert codebook_note("m", old, new, library=True) == (
        "model m was trained with codebook DTORS 1.0; the library's codebook is DTORS 1.1: codes "
        f"the model does not know are not suggested ({', '.join(NEW_IN_1_1)})"
    )
    edited = dataclasses.replace(old, version="1.0 (edited)", description="Ours.")
    assert codebook_note("m", old, edited) == (
        "model m was trained with codebook DTORS 1.0; the codebook in use is DTORS 1.0 (edited): "
        "same codes, defined otherwise"
    )


def test_a_model_trained_on_1_0_loads_with_one_line_saying_so(model_1_0):
    with pytest.warns(CodebookChangedWarning) as caught:
        model = load_model(model_1_0, embedder=STATIC)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "\n" not in message
    assert message.startswith(
        "model team-2008 was trained with codebook DTORS 1.0; the library's codebook is DTORS 1.1"
    )
    assert model.codebook_ == load_codebook(CODEBOOK_1_0)
    assert set(model.codes) <= set(model.codebook_.codes)
    assert not set(model.codes) & set(NEW_IN_1_1)


def test_a_model_given_its_own_codebook_loads_silently(model_1_0):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CodebookChangedWarning)
        model = load_model(model_1_0, codebook=load_codebook(CODEBOOK_1_0), embedder=STATIC)
    assert model.codebook_.version == "1.0"


def test_a_model_given_other_definitions_of_its_codes_says_so(model_1_0):
    edited = dataclasses.replace(load_codebook(CODEBOOK_1_0), version="1.0-local")
    with pytest.warns(
        CodebookChangedWarning, match="DTORS 1.0-local: same codes, defined otherwise"
    ):
        load_model(model_1_0, codebook=edited, embedder=STATIC)


def test_a_model_given_a_codebook_with_codes_it_lacks_is_refused(model_1_0):
    with pytest.raises(ModelError, match="trained on codebook 'DTORS 1.0'.*capacity/recovery"):
        load_model(model_1_0, codebook=load_codebook(), embedder=STATIC)


def test_the_cli_says_it_in_one_note_line(model_1_0, tmp_path):
    transcript = REPO / "examples" / "transcripts" / "p01-keyworker.txt"
    args = ["annotate", str(transcript), "--out", str(tmp_path / "draft"), "--model"]
    result = CliRunner().invoke(main, [*args, str(model_1_0), "--embedder", str(STATIC), "-q"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "trained with codebook" in line]
    assert notes == [
        "dtors-nlp: note: model team-2008 was trained with codebook DTORS 1.0; the library's "
        f"codebook is DTORS 1.1: codes the model does not know are not suggested "
        f"({', '.join(NEW_IN_1_1)})"
    ]
