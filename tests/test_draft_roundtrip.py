"""A draft written by `dtors-nlp annotate --format qdpx,html`: valid, reopens, works in Chromium."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from dtors_nlp.cli import main
from dtors_nlp.refi.project import read_qdpx

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "examples" / "transcripts"


@pytest.fixture(scope="module")
def draft(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("roundtrip") / "draft"
    result = CliRunner().invoke(
        main,
        ["--quiet", "annotate", str(EXAMPLES), "--out", str(out), "--format", "qdpx,html,jsonl"],
    )
    assert result.exit_code == 0, result.output
    return out


def test_the_draft_project_validates_against_the_refi_qda_schema(draft):
    xmlschema = pytest.importorskip("xmlschema")
    schema_file = SHARED / "refi-qda" / "Project.xsd"
    if not schema_file.is_file():
        pytest.skip("../shared/refi-qda/Project.xsd is not here")
    with zipfile.ZipFile(draft / "draft.qdpx") as archive:
        project = archive.read("project.qde")
    xmlschema.XMLSchema(str(schema_file)).validate(project.decode("utf-8"))


def test_the_draft_reopens_with_the_same_codings(draft):
    suggestions = [
        json.loads(line) for line in (draft / "suggestions.jsonl").open(encoding="utf-8")
    ]
    project = read_qdpx(draft / "draft.qdpx")
    reopened = {
        (source.name, s.start, s.end, project.codes[c.code].qualified)
        for source in project.sources
        for s in source.selections
        for c in s.codings
    }
    written = {(s["transcript"], s["start"], s["end"], s["code"]) for s in suggestions}
    assert {(start, end, code) for _, start, end, code in reopened} == {
        (start, end, code) for _, start, end, code in written
    }
    model_users = {user.name for user in project.users.values()}
    assert all(name.startswith("dtors-nlp") for name in model_users)
    text_of = {source.name: source.text for source in project.sources}
    for name, start, end, _ in reopened:
        assert text_of[name][start:end].strip()


def test_the_draft_review_page_works_in_chromium(draft):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    from tests.test_review_page import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto((draft / "draft.html").as_uri())
        cards = page.locator("#transcript-view .card").count()
        page.locator("#transcript-view .card button", has_text="Accept").first.click()
        counter = page.locator("#counter").inner_text()
        browser.close()
    assert problems == []
    assert cards > 0
    assert counter.startswith("1 of ")
