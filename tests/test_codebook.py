"""The codebook: the shipped DTORS codebook, a team's own YAML, its errors, and the CLI."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from dtors_nlp.cli import main
from dtors_nlp.codebook import load_codebook, write_codebook_yaml
from dtors_nlp.errors import CodebookError
from dtors_nlp.refi.codebook import read_codebook

SHARED = Path(__file__).resolve().parents[2] / "shared"

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


def test_default_codebook_has_the_six_dimensions():
    book = load_codebook()
    assert [d.name for d in book.dimensions] == [
        "pressure",
        "barrier",
        "motivation",
        "outcome",
        "environment",
        "service_response",
    ]
    assert "barrier/engagement" in book.codes
    assert not book.dimension("motivation").multi_label


def test_own_yaml_codebook_loads(tmp_path):
    book = load_codebook(write(tmp_path, GOOD))
    assert book.codes == ["mood/low", "mood/high"]
    assert book.describe("mood/low") == "Feeling down."
    assert not book.dimension("mood").multi_label


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
