"""Agreement between two coders: REFI-QDA projects and coded CSVs, figures checked against
scikit-learn and the krippendorff package, the command line."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import krippendorff
import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

import dtors_nlp as dn
from dtors_nlp.cli import main
from dtors_nlp.intercoder import counts_for, passage_offsets
from dtors_nlp.refi.project import read_qdpx
from dtors_nlp.refi.safe import PROJECT_NS

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "refi-qda" / "samples"
QC_DEMO = SAMPLE / "qc-demo-coded.qdpx"
needs_sample = pytest.mark.skipif(not QC_DEMO.is_file(), reason=f"needs {QC_DEMO}")
REMOVED = 20


def removable_codings(path: Path) -> list[tuple[str, str, str, int, int]]:
    """(selection GUID, code GUID, source, passage start, code) of codings that alone put their
    code on exactly one passage: removing one makes exactly one disagreement."""
    project = read_qdpx(path)
    found = []
    for source in project.sources:
        passages = passage_offsets(source.text)
        spans = [(sel, c) for sel in source.selections for c in sel.codings]
        for selection, coding in spans:
            hit = [p for p in passages if counts_for(selection.start, selection.end, *p)]
            others = [
                s
                for s, c in spans
                if c.code == coding.code
                and s is not selection
                and len(hit) == 1
                and counts_for(s.start, s.end, *hit[0])
            ]
            if len(hit) == 1 and not others:
                found.append((selection.guid, coding.code, source.name, hit[0][0], hit[0][1]))
    return found


def without_codings(path: Path, out: Path, remove: set[tuple[str, str]]) -> None:
    """A copy of the project with the codings (selection GUID, code GUID) taken out."""
    ElementTree.register_namespace("", PROJECT_NS)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    root = ElementTree.fromstring(members["project.qde"])
    ns = {"q": PROJECT_NS}
    for selection in root.iter(f"{{{PROJECT_NS}}}PlainTextSelection"):
        guid = selection.get("guid", "").strip("{}").lower()
        for coding in selection.findall("q:Coding", ns):
            code = coding.find("q:CodeRef", ns).get("targetGUID", "").strip("{}").lower()
            if (guid, code) in remove:
                selection.remove(coding)
    members["project.qde"] = ElementTree.tostring(root, xml_declaration=True, encoding="utf-8")
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.fixture(scope="module")
def thinned(tmp_path_factory):
    """qc-demo with 20 codings removed, and the removed (source, passage, code) cells."""
    if not QC_DEMO.is_file():
        pytest.skip(f"needs {QC_DEMO}")
    candidates = removable_codings(QC_DEMO)
    cells = {}
    for candidate in random.Random(14).sample(candidates, len(candidates)):
        cell = (candidate[2], candidate[3], candidate[1])
        cells.setdefault(cell, candidate)
        if len(cells) == REMOVED:
            break
    out = tmp_path_factory.mktemp("thinned") / "qc-demo-thinned.qdpx"
    without_codings(QC_DEMO, out, {(c[0], c[1]) for c in cells.values()})
    project = read_qdpx(QC_DEMO)
    codebook = dn.load_codebook(QC_DEMO)
    removed = {
        (source, start, dn_code(project.codes[code].qualified, codebook))
        for source, start, code in cells
    }
    return out, removed


def dn_code(name: str, codebook) -> str:
    from dtors_nlp.coded import map_code_name

    return map_code_name(name, codebook)


@needs_sample
def test_twenty_removed_codings_are_exactly_the_twenty_disagreements(thinned):
    copy, removed = thinned
    result = dn.agreement(QC_DEMO, copy)
    rows = result.disagreements()
    assert len(rows) == REMOVED
    assert {(r["transcript"], r["start"], r["code"]) for r in rows} == removed
    assert all(r["coder_a"] == 1 and r["coder_b"] == 0 for r in rows)
    assert result.only_a == result.only_b == []


@needs_sample
def test_kappa_and_alpha_match_scikit_learn_and_krippendorff(thinned):
    copy, _ = thinned
    result = dn.agreement(QC_DEMO, copy)
    compared = 0
    for code, figures in result.codes.items():
        a = np.array([code in u.codes_a for u in result.units], int)
        b = np.array([code in u.codes_b for u in result.units], int)
        if figures["kappa"] is not None:
            assert figures["kappa"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-4)
            alpha = krippendorff.alpha(np.vstack([a, b]), level_of_measurement="nominal")
            assert figures["alpha"] == pytest.approx(alpha, abs=1e-4)
            compared += 1
        assert figures["percent_agreement"] == pytest.approx(100 * np.mean(a == b), abs=0.01)
    assert compared > 50
    disagreeing = [f for f in result.codes.values() if f["coder_a"] != f["coder_b"]]
    assert disagreeing and all(f["kappa"] < 1 for f in disagreeing)
    assert all(0 < f["characters"]["percent_agreement"] <= 100 for f in result.codes.values())


@needs_sample
def test_agree_command_writes_the_disagreements_to_discuss(thinned, tmp_path):
    copy, _ = thinned
    done = CliRunner().invoke(main, ["agree", str(QC_DEMO), str(copy), "--report", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "20 disagreements" in done.output
    lines = (tmp_path / "disagreements.csv").read_text("utf-8-sig").splitlines()
    assert lines[0] == "transcript,start,end,code,coder_a,coder_b,text"
    assert len(lines) == 1 + REMOVED
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "agreement.csv",
        "disagreements.csv",
        "report.json",
    ]


@needs_sample
def test_different_source_texts_are_refused_naming_the_files(tmp_path):
    changed = tmp_path / "changed.qdpx"
    with zipfile.ZipFile(QC_DEMO) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    name = next(n for n in members if n.startswith("sources/") and len(members[n]) > 1000)
    members[name] = members[name].replace(b"e", b"E", 1)
    with zipfile.ZipFile(changed, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    with pytest.raises(dn.DtorsError, match=r"has different text in .*qc-demo-coded\.qdpx and"):
        dn.agreement(QC_DEMO, changed)


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["transcript,text,codes"] + [f'{t},"{text}",{codes}' for t, text, codes in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_coded_csvs_are_compared_passage_by_passage(tmp_path):
    a = write_csv(
        tmp_path / "a.csv",
        [
            ("int1", "I was rattling by dinner time.", "pressure/physical_need"),
            ("int1", "My keyworker listened.", "service_response/trusting_relationship"),
            ("int1", "Only A coded this.", ""),
            ("int2", "A transcript only A has.", ""),
        ],
    )
    b = write_csv(
        tmp_path / "b.csv",
        [
            ("int1", "I was rattling by dinner time.", "pressure/physical_need"),
            ("int1", "My keyworker listened.", ""),
            ("int3", "A transcript only B has.", ""),
        ],
    )
    result = dn.agreement(a, b)
    assert len(result.units) == 2
    assert result.only_a == ["int2"] and result.only_b == ["int3"]
    assert result.unmatched == [
        {"transcript": "int1", "coded_by": "a", "text": "Only A coded this."}
    ]
    assert [r["code"] for r in result.disagreements()] == ["service_response/trusting_relationship"]
    figures = result.codes["pressure/physical_need"]
    assert (figures["coder_a"], figures["coder_b"], figures["percent_agreement"]) == (1, 1, 100.0)
    assert "characters" not in figures


def test_agree_on_a_missing_file_is_one_line_and_exit_2(tmp_path):
    done = CliRunner().invoke(main, ["agree", str(tmp_path / "a.csv"), str(tmp_path / "b.csv")])
    assert done.exit_code == 2
    assert done.output.count("\n") == 1 and "a.csv" in done.output


def test_a_coding_counts_for_half_a_passage_or_half_of_itself():
    assert counts_for(0, 50, 0, 100)  # half the passage
    assert not counts_for(80, 130, 0, 100)  # only 20 of its 50 characters, a fifth of it
    assert counts_for(40, 60, 0, 100)  # a phrase inside the passage
    assert counts_for(90, 110, 0, 100)  # half of the phrase lies in it
    assert not counts_for(95, 130, 0, 100)
