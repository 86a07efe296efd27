"""The HTML review page, written by hand-built transcripts and suggestions, tried in Chromium.

Browser tests need Debian's ``chromium`` and the Python ``playwright`` package (its own browser
download is not used) and skip without them. Set ``DTORS_UPDATE_SCREENSHOTS=1`` to refresh the
screenshot in ``docs/images``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from dtors_nlp.codebook import load_codebook
from dtors_nlp.errors import OutputError
from dtors_nlp.export.html import page_data, write_review_page
from dtors_nlp.suggestion import Suggestion
from dtors_nlp.transcripts.spans import Transcript, Turn

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_SCREENSHOT = Path(__file__).parent.parent / "docs" / "images" / "review-page.png"
CSV_HEADER = [
    "transcript", "source", "passage", "start", "end", "speaker", "text",
    "code", "confidence", "band", "decision", "new_code", "coder", "note",
]  # fmt: skip
HOSTILE = "<img src=x onerror=alert(1)>"
MODEL = "dtors-starter 0.1.0"
REFERRAL = "the mental health team won't take anyone still using"

INT07 = [
    ("Interviewer", "interviewer", "When you first went to the drug service, how did that go?"),
    (
        "P07",
        "interviewee",
        "I rang them in the March and they said there was a waiting list, twelve weeks. Twelve "
        "weeks, when you're rattling every morning. By the time they called me back I'd stopped "
        "caring.",
    ),
    ("Interviewer", "interviewer", "And once you were on a script?"),
    (
        "P07",
        "interviewee",
        "My key worker, Dawn, she actually listened. She'd say, \"come back Monday, we'll sort "
        "it\", and she did.\nI've been off the gear eight months now, and I'm back seeing my kids.",
    ),
    (
        "Sister",
        "interviewee",
        "He's been brilliant. The mates he used with still come round though, I don't trust them.",
    ),
    ("Interviewer", "interviewer", "What would you change about the service?"),
    (
        "P07",
        "interviewee",
        "Staff kept changing. Three key workers in a year before Dawn, and every time you tell "
        "your whole story again, like nobody read the notes.",
    ),
]
KW02 = [
    ("Interviewer", "interviewer", "What gets in the way for your clients?"),
    (
        "KW02",
        "interviewee",
        "Honestly? Caseloads of 60 😩 and the mental health team won't take anyone still using. "
        f"One client wrote {HOSTILE} on the form </script><script>alert(2)</script>.",
    ),
]
EXEMPLARS = {
    "barrier/engagement": ["They put me on a list and I never heard back, so I gave up."],
    "pressure/physical_need": ["I was that sick I'd have done anything just to feel normal."],
    "service_response/trusting_relationship": ["She never judged me, she'd text to check in."],
    "outcome/recovering": ["Clean a year in June, got a flat, I'm doing a course."],
    "environment/support_network": ["My mum stood by me the whole way."],
    "environment/drug_using_environment": [
        "Everyone on the estate was using, you couldn't avoid it."
    ],
    "barrier/delivery": ["Every time I went it was someone new."],
    "barrier/assessment": ["They assumed I was just after a script."],
    "barrier/referral": ["Mental health said come back when you're clean."],
    "outcome/no_change": [f"Nothing changed <b>at all</b> {HOSTILE}"],
}


def make_transcript(transcript_id: str, turns: list[tuple[str, str, str]]) -> Transcript:
    """A transcript whose text is its turns separated by blank lines."""
    text, spans = "", []
    for speaker, role, said in turns:
        text += "\n\n" if text else ""
        spans.append(Turn(speaker, role, len(text), len(text) + len(said), said))
        text += said
    return Transcript(
        id=transcript_id, source=f"interviews/{transcript_id}.docx", text=text, turns=spans
    )


def suggest(
    transcript: Transcript, turn: int, phrase: str, code: str, confidence: float, passage: int
) -> Suggestion:
    """A suggestion for ``phrase`` inside ``turn``."""
    start = transcript.text.index(phrase, transcript.turns[turn].start)
    return Suggestion(
        transcript=transcript.id,
        source=transcript.source,
        passage=passage,
        start=start,
        end=start + len(phrase),
        speaker=transcript.turns[turn].speaker,
        text=phrase,
        code=code,
        confidence=confidence,
        band="likely" if confidence >= 0.6 else "review",
        exemplars=tuple(EXEMPLARS[code]),
        model=MODEL,
    )


def draft() -> tuple[list[Transcript], list[Suggestion]]:
    """Two transcripts: an interview with overlapping codes, and a provider with hostile text."""
    int07, kw02 = make_transcript("int07", INT07), make_transcript("kw02", KW02)
    int07.metadata.update({"date": "2009-03-14", "site": "Leeds", "interviewer": "RH"})
    kw02.metadata["site"] = "North <b>hub</b>"
    dawn, kids = INT07[3][2].split("\n")
    suggestions = [
        suggest(int07, 1, INT07[1][2], "barrier/engagement", 0.91, 0),
        suggest(int07, 1, INT07[1][2], "pressure/physical_need", 0.58, 0),
        suggest(int07, 3, dawn, "service_response/trusting_relationship", 0.88, 1),
        suggest(int07, 3, INT07[3][2], "outcome/recovering", 0.64, 2),
        suggest(int07, 3, kids, "environment/support_network", 0.41, 3),
        suggest(int07, 4, INT07[4][2], "environment/drug_using_environment", 0.72, 4),
        suggest(int07, 6, INT07[6][2], "barrier/delivery", 0.83, 5),
        suggest(int07, 6, INT07[6][2], "barrier/assessment", 0.37, 5),
        suggest(kw02, 1, "Caseloads of 60 😩", "barrier/delivery", 0.7, 0),
        suggest(kw02, 1, REFERRAL, "barrier/referral", 0.86, 0),
        suggest(kw02, 1, f"One client wrote {HOSTILE}", "outcome/no_change", 0.3, 1),
    ]
    return [int07, kw02], suggestions


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    transcripts, suggestions = draft()
    path = tmp_path_factory.mktemp("review") / "review.html"
    write_review_page(path, transcripts, suggestions, load_codebook(), MODEL)
    return path


# ---------------------------------------------------------------- without a browser


def test_embedded_data_cannot_close_its_script_block(page_file: Path) -> None:
    page = page_file.read_text("utf-8")
    assert page.count("</script>") == 2  # the data block's and the page script's own
    assert HOSTILE not in page
    embedded = re.search(r'id="review-data">(.*?)</script>', page, re.S).group(1)
    transcripts, suggestions = draft()
    assert json.loads(embedded) == page_data(transcripts, suggestions, load_codebook(), MODEL)


def test_title_is_escaped(tmp_path: Path) -> None:
    transcripts, suggestions = draft()
    transcripts[0].id = "<b>int07</b>"
    suggestions = [replace(s, transcript=transcripts[0].id) for s in suggestions]
    path = tmp_path / "review.html"
    write_review_page(path, transcripts[:1], suggestions, load_codebook(), MODEL)
    assert "<title>Review suggested codes: &lt;b&gt;int07&lt;/b&gt;</title>" in path.read_text()


def test_suggestion_for_unknown_transcript_is_refused(tmp_path: Path) -> None:
    transcripts, suggestions = draft()
    with pytest.raises(OutputError, match="unknown transcript 'kw02'"):
        write_review_page(tmp_path / "r.html", transcripts[:1], suggestions, load_codebook(), MODEL)
    assert not (tmp_path / "r.html").exists()


def test_transcripts_with_the_same_id_are_refused(tmp_path: Path) -> None:
    transcripts, _ = draft()
    with pytest.raises(OutputError, match="same id"):
        write_review_page(tmp_path / "r.html", transcripts * 2, [], load_codebook(), MODEL)


# ---------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, page_file: Path):
    """The review page in a fresh browser context; fails on console errors, alerts or requests."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(5000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: r.url.startswith(("file:", "blob:")) or problems.append(r.url))
    page.goto(page_file.as_uri())
    yield page
    context.close()
    assert problems == []


def card(page, code: str):
    return page.locator(f'#transcript-view .card[data-code="{code}"]')


def shown_codes(page) -> list[str]:
    return page.locator("#transcript-view .card:visible").evaluate_all(
        "cards => cards.map(card => card.dataset.code)"
    )


def test_page_shows_turns_highlights_and_legend(page) -> None:
    assert page.locator(".turn").count() == len(INT07)
    assert page.locator(".turn .speaker").first.inner_text().startswith("Interviewer")
    assert page.locator("#transcript-view .card").count() == 8
    assert page.locator("mark.hl:not(.off)").count() >= 6
    assert page.locator(".legend details").count() == len(load_codebook().dimensions)
    assert page.locator("#counter").inner_text() == "0 of 11 decided"
    assert page.locator("#save").is_disabled()
    assert card(page, "barrier/engagement").locator(".confidence").inner_text() == "91%"


def test_overlapping_suggestions_are_all_visible(page) -> None:
    dawn = page.locator("mark.hl", has_text="My key worker, Dawn")
    assert dawn.count() == 1
    stripes = dawn.evaluate("mark => mark.style.boxShadow.split('px 0px').length - 1")
    assert stripes == 2  # trusting relationship and recovering
    dawn.click()
    first = page.locator("#details h3").inner_text()
    dawn.click()
    assert {first, page.locator("#details h3").inner_text()} == {
        "Trusting relationship",
        "Recovering",
    }
    assert page.locator("#details blockquote.exemplar").count() == 1


def test_details_show_the_codes_inclusion_and_exclusion_notes(page) -> None:
    card(page, "barrier/engagement").click()
    assert page.locator("#details h3").inner_text() == "Engagement"
    shown = page.locator("#details p.hint").all_inner_texts()
    engagement = load_codebook().code("barrier/engagement")
    assert f"Include: {engagement.include}" in shown
    assert f"Exclude: {engagement.exclude}" in shown


def test_filters_hide_and_show_suggestions(page) -> None:
    page.select_option("#filter-code", "barrier/engagement")
    assert shown_codes(page) == ["barrier/engagement"]
    page.select_option("#filter-code", "dimension:barrier")
    assert shown_codes(page) == ["barrier/engagement", "barrier/delivery", "barrier/assessment"]
    page.select_option("#filter-code", "")
    page.select_option("#filter-band", "review")
    assert set(shown_codes(page)) == {
        "pressure/physical_need",
        "environment/support_network",
        "barrier/assessment",
    }
    assert page.locator("mark.hl:not(.off)", has_text="mates he used with").count() == 0
    page.select_option("#filter-band", "")
    page.select_option("#filter-speaker", "Sister")
    assert shown_codes(page) == ["environment/drug_using_environment"]
    page.check("#filter-compact")
    assert page.locator(".turn:visible").count() == 1
    page.select_option("#filter-speaker", "")
    assert page.locator(".turn:visible").count() == 4
    assert len(shown_codes(page)) == 8


def test_decisions_are_saved_as_review_csv(page, tmp_path: Path) -> None:
    page.fill("#coder", "Ana, R.")
    card(page, "barrier/engagement").get_by_role("button", name="Accept").click()
    card(page, "barrier/assessment").get_by_role("button", name="Reject").click()
    changed = card(page, "environment/support_network")
    changed.locator("select").select_option("outcome/recovering")
    page.fill("#note", 'about "kids",\nnot support')
    assert changed.locator(".decision").inner_text() == "Changed to Recovering"
    assert page.locator("#counter").inner_text() == "3 of 11 decided"
    page.select_option("#filter-status", "undecided")
    assert len(shown_codes(page)) == 5

    page.screenshot(path=str(tmp_path / "review-page.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#save")
    assert download.value.suggested_filename == "draft-review.csv"
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert header == CSV_HEADER
    rows = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["code"], r["decision"], r["new_code"]) for r in rows] == [
        ("barrier/engagement", "accept", ""),
        ("environment/support_network", "change", "outcome/recovering"),
        ("barrier/assessment", "reject", ""),
    ]
    transcripts, suggestions = draft()
    assert rows[0]["text"] == INT07[1][2]
    kids = suggestions[4].to_dict()
    assert rows[1] | {"decision": "", "new_code": "", "coder": "", "note": ""} == {
        field: str(kids.get(field, "")) for field in CSV_HEADER
    }
    assert rows[1]["note"] == 'about "kids",\nnot support'
    assert {r["coder"] for r in rows} == {"Ana, R."}


def test_decisions_survive_a_reload(page) -> None:
    card(page, "barrier/delivery").get_by_role("button", name="Reject").click()
    page.fill("#coder", "AR")
    page.reload()
    assert (
        card(page, "barrier/delivery")
        .get_by_role("button", name="Reject")
        .get_attribute("aria-pressed")
        == "true"
    )
    assert page.input_value("#coder") == "AR"
    card(page, "barrier/delivery").get_by_role("button", name="Undo").click()
    assert page.locator("#counter").inner_text() == "0 of 11 decided"


def test_untrusted_text_is_shown_as_text(page) -> None:
    from playwright.sync_api import expect

    page.select_option("#transcript", "1")
    view = page.locator("#transcript-view")
    expect(view.locator(".turn")).to_have_count(len(KW02))  # waits for the re-render
    assert view.locator("img, script, b").count() == 0
    expect(view).to_contain_text(HOSTILE)
    expect(view).to_contain_text("</script><script>alert(2)</script>")
    expect(view).to_contain_text("North <b>hub</b>")
    card(page, "outcome/no_change").click()
    assert HOSTILE in page.locator("#details blockquote.exemplar").inner_text()
    assert page.locator("#details img, #details b").count() == 0


def test_offsets_are_code_points(page) -> None:
    from playwright.sync_api import expect

    page.select_option("#transcript", "1")
    expect(page.locator("#transcript-view .turn")).to_have_count(len(KW02))
    marks = page.locator("mark.hl").all_inner_texts()
    assert REFERRAL in marks and "Caseloads of 60 😩" in marks


def test_next_undecided_walks_through_transcripts(page) -> None:
    for _ in range(9):
        page.click("#next-undecided")
    assert page.locator("#transcript").input_value() == "1"
    assert page.locator("#details h3").inner_text() == "Delivery"


def test_screenshot_for_the_docs(page, tmp_path: Path) -> None:
    card(page, "barrier/engagement").get_by_role("button", name="Accept").click()
    card(page, "pressure/physical_need").locator("select").select_option(
        "pressure/cognitive_dependence"
    )
    card(page, "outcome/recovering").click()
    page.evaluate("window.scrollTo(0, 0)")
    path = tmp_path / "review-page.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    if os.environ.get("DTORS_UPDATE_SCREENSHOTS"):
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOT)
