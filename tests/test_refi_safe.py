"""Hostile and broken REFI-QDA files: each is refused with a specific error naming the file."""

import contextlib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dtors_nlp.cli import main
from dtors_nlp.errors import RefiError, UnsafeFileError
from dtors_nlp.refi.codebook import read_codebook
from dtors_nlp.refi.project import read_qdpx
from dtors_nlp.refi.safe import Limits, is_safe_member_name, open_archive

GUID = "11111111-2222-4333-8444-555555555555"
PROJECT = (
    '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Sources>'
    f'<TextSource guid="{GUID}" name="int01" plainTextPath="internal://{GUID}.txt"/>'
    "</Sources></Project>"
)
ENTITIES = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
LAUGHS = (
    f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{ENTITIES}]>'
    '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
    f'<Code guid="{GUID}" name="&lol9;" isCodable="true"/></Codes></CodeBook>'
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
    f'<Code guid="{GUID}" name="&xxe;" isCodable="true"/></Codes></CodeBook>'
)


def archive(tmp_path: Path, members: dict[str, bytes | str], name: str = "p.qdpx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zip_file:
        for member, data in members.items():
            zip_file.writestr(member, data)
    return path


def refused(error_type: type[Exception], path: Path, problem: str, read=read_qdpx) -> None:
    with pytest.raises(error_type, match=problem) as caught:
        read(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("member", ["../evil.txt", "sources/../../evil.txt", "/etc/evil", "C:/x"])
def test_zip_slip_is_refused(tmp_path, member):
    path = archive(tmp_path, {"project.qde": PROJECT, member: "x"})
    refused(UnsafeFileError, path, "points outside the archive")


def test_zip_bomb_by_ratio_is_refused(tmp_path):
    path = archive(tmp_path, {"project.qde": PROJECT, f"sources/{GUID}.txt": b"\0" * 4_000_000})
    refused(UnsafeFileError, path, "zip bomb")


@pytest.mark.parametrize(
    ("limits", "problem"),
    [(Limits(max_files=3), "4 members"), (Limits(max_total_bytes=1000), "more than 1000 bytes")],
)
def test_too_many_or_too_large_members_are_refused(tmp_path, limits, problem):
    path = archive(tmp_path, {f"sources/{n}.txt": "x" * 400 for n in range(4)})
    with pytest.raises(UnsafeFileError, match=problem), open_archive(path, limits=limits):
        pass


def test_default_file_count_limit(tmp_path):
    path = archive(tmp_path, {f"{n}": b"" for n in range(10_001)})
    refused(UnsafeFileError, path, "10001 members")


def test_not_a_zip(tmp_path):
    path = tmp_path / "p.qdpx"
    path.write_bytes(b"PK\x03\x04 this is no zip")
    refused(RefiError, path, "not a readable zip archive")


def test_missing_project_qde(tmp_path):
    refused(RefiError, archive(tmp_path, {"sources/a.txt": "x"}), "no project.qde")


def test_missing_source_text(tmp_path):
    refused(RefiError, archive(tmp_path, {"project.qde": PROJECT}), "plain text is missing")


def test_non_utf8_source(tmp_path):
    path = archive(tmp_path, {"project.qde": PROJECT, f"sources/{GUID}.txt": b"caf\xe9 au lait"})
    refused(RefiError, path, "is not UTF-8")


def test_extra_members_are_ignored(tmp_path):
    members = {"project.qde": PROJECT, f"sources/{GUID}.txt": "hi", "sources/.root": ""}
    assert read_qdpx(archive(tmp_path, members)).sources[0].text == "hi"


@pytest.mark.parametrize(
    ("xml", "error_type", "problem"),
    [
        (LAUGHS, UnsafeFileError, "DTD"),
        (XXE, UnsafeFileError, "DTD"),
        ('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>', RefiError, "malformed XML"),
        ('<CodeBook xmlns="urn:other"><Codes/></CodeBook>', RefiError, "namespace"),
        ('<Project xmlns="urn:QDA-XML:project:1.0" name="p"/>', RefiError, "<CodeBook>"),
    ],
)
def test_hostile_or_broken_qdc(tmp_path, xml, error_type, problem):
    path = tmp_path / "book.qdc"
    path.write_text(xml, encoding="utf-8")
    refused(error_type, path, problem, read=read_codebook)


def test_hostile_project_qde(tmp_path):
    path = archive(tmp_path, {"project.qde": LAUGHS.replace("CodeBook", "Project")})
    refused(UnsafeFileError, path, "DTD")


def test_cli_reports_a_hostile_codebook_in_one_line(tmp_path):
    path = tmp_path / "book.qdc"
    path.write_text(XXE, encoding="utf-8")
    result = CliRunner().invoke(main, ["codebook", "show", "--codebook", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.output and result.output.strip().count("\n") == 0


@pytest.mark.parametrize(
    ("name", "safe"),
    [("sources/a.txt", True), ("a/../../b", False), ("\\x", False), ("a\0b", False), ("", False)],
)
def test_member_names(name, safe):
    assert is_safe_member_name(name) is safe


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_any_archive_bytes_give_a_refi_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "p.qdpx"
    path.write_bytes(data)
    with pytest.raises(RefiError):
        read_qdpx(path)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300) | st.sampled_from([PROJECT, LAUGHS, XXE]).map(lambda x: x[:-20]))
def test_any_project_qde_gives_a_refi_error_or_a_project(tmp_path_factory, text):
    path = archive(tmp_path_factory.mktemp("fuzz"), {"project.qde": text})
    with contextlib.suppress(RefiError):
        read_qdpx(path)
