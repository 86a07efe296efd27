"""REFI-QDA codebooks: our ``Codebook`` to and from ``.qdc``, and from the codebook of a ``.qdpx``.

How a codebook maps onto REFI-QDA (see docs/codebook-format.md):

- a dimension is a top-level ``<Code isCodable="false">`` named after the dimension; its
  ``<Description>`` is the dimension's description followed by trailer lines
  ``[label: ...]`` (when there is a label) and ``[multi-label]`` or ``[single-label]``;
- a code is a codable child ``<Code>`` named after the code; its ``<Description>`` is the code's
  description followed by the paragraphs ``Include: ...``, ``Exclude: ...`` and
  ``Keywords: a; b; c`` (those the code has), readable as they are in a QDA program;
- the codebook's name, description, notes and version are a ``<Set>`` of all its codes, whose
  description is the codebook's description, then ``Notes for coders:`` and the notes (if any),
  and ends with ``[codebook]`` and ``[version: ...]``;
- GUIDs are derived from the names (uuid5), so the same codebook always exports the same file.

A foreign codebook (NVivo, ATLAS.ti, ...) is read like this: every top-level code with children
becomes a dimension, every codable code below it a code named by its path
(``parent__child``); top-level codes without children are gathered into a dimension ``codes``.
Names become identifiers (lower case, other characters to ``_``), and a changed name is kept in
the label (dimensions) or at the start of the description (codes). A code description whose
last paragraphs start with ``Include:``, ``Exclude:`` or ``Keywords:`` gives the code those notes.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from dtors_nlp import __version__
from dtors_nlp.codebook import IDENTIFIER, KEYWORD_SEPARATOR, Code, Codebook, Dimension
from dtors_nlp.errors import CodebookError, RefiError
from dtors_nlp.files import write_atomically
from dtors_nlp.refi.safe import (
    CODEBOOK_NS,
    PROJECT_NS,
    open_archive,
    parse_xml,
    read_project_xml,
)

GUID_NAMESPACE = uuid.UUID("6f1d2a4e-3c1b-4f57-9a0e-2d7c5b8e9f10")
TRAILER_LINE = re.compile(r"^\[(label|version|codebook|multi-label|single-label)(?::\s?(.*))?\]$")
OTHER_CODES = "codes"  # the dimension that gathers top-level codes without children
NOTE_LABELS = ("Include", "Exclude", "Keywords")  # paragraphs of a code's description, in order
NOTE_LINE = re.compile(r"^(Include|Exclude|Keywords):[ \t]?(.*)$")
NOTES_HEADING = "Notes for coders:"  # starts the codebook's notes in the [codebook] set


# --- writing ----------------------------------------------------------------------------------


def write_qdc(codebook: Codebook, path: str | PathLike[str]) -> None:
    """Write the codebook as a REFI-QDA ``.qdc`` file (atomically)."""
    write_atomically(Path(path), xml_bytes(codebook_to_xml(codebook)))


def codebook_to_xml(codebook: Codebook, in_project: bool = False) -> Element:
    """The ``<CodeBook>`` element of a ``.qdc`` file, or of a project (then only ``<Codes>``)."""
    book = Element("CodeBook")
    codes = SubElement(book, "Codes")
    for dimension in codebook.dimensions:
        flags = [f"[label: {dimension.label}]"] if dimension.label else []
        flags.append("[multi-label]" if dimension.multi_label else "[single-label]")
        description = _with_trailer(dimension.description, flags)
        guid = code_guid(codebook, dimension.name)
        parent = _code_element(codes, guid, dimension.name, False, description)
        for code in dimension.codes:
            guid = code_guid(codebook, f"{dimension.name}/{code.name}")
            _code_element(parent, guid, code.name, True, code_description(code))
    if not in_project:
        book.set("xmlns", CODEBOOK_NS)
        book.set("origin", f"dtors-nlp {__version__}")
        SubElement(book, "Sets").append(codebook_set(codebook))
    return book


def codebook_set(codebook: Codebook, in_project: bool = False) -> Element:
    """A ``<Set>`` of every code, carrying the codebook's name, description and version."""
    flags = ["[codebook]"] + ([f"[version: {codebook.version}]"] if codebook.version else [])
    element = Element("Set", guid=make_guid("set", codebook.name), name=codebook.name)
    notes = f"{NOTES_HEADING}\n{codebook.notes}" if codebook.notes else ""
    body = "\n\n".join(part for part in (codebook.description, notes) if part)
    SubElement(element, "Description").text = _with_trailer(body, flags)
    member = "targetGUID" if in_project else "guid"
    for dimension in codebook.dimensions:
        for name in [dimension.name, *dimension.qualified_codes]:
            SubElement(element, "MemberCode", {member: code_guid(codebook, name)})
    return element


def code_description(code: Code) -> str:
    """A code's ``<Description>``: its description, then a paragraph for each note it has
    (``Include: ...``, ``Exclude: ...``, ``Keywords: a; b``)."""
    keywords = f"{KEYWORD_SEPARATOR} ".join(code.keywords)
    values = (code.include, code.exclude, keywords)
    notes = [f"{label}: {value}" for label, value in zip(NOTE_LABELS, values) if value]
    return "\n\n".join(part for part in (code.description, *notes) if part)


def code_guid(codebook: Codebook, code: str) -> str:
    """The GUID of a dimension (``barrier``) or code (``barrier/engagement``) of a codebook."""
    return make_guid("code", codebook.name, code)


def make_guid(*parts: str) -> str:
    """A lower-case GUID derived from ``parts``: the same parts always give the same GUID."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(parts)))


def xml_bytes(root: Element) -> bytes:
    """A root element (with its ``xmlns`` attribute) as an indented UTF-8 document."""
    indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")


def _code_element(
    parent: Element, guid: str, name: str, codable: bool, description: str
) -> Element:
    element = SubElement(parent, "Code", guid=guid, name=name, isCodable=str(codable).lower())
    if description:
        SubElement(element, "Description").text = description
    return element


def _with_trailer(body: str, flags: list[str]) -> str:
    return "\n\n".join(part for part in (body, "\n".join(flags)) if part)


# --- reading ----------------------------------------------------------------------------------


def read_codebook(path: str | PathLike[str]) -> Codebook:
    """The codebook of a ``.qdc`` file or of a ``.qdpx`` project."""
    path = Path(path)
    if path.suffix.lower() == ".qdpx":
        with open_archive(path) as archive:
            root = read_project_xml(archive)
        codes = root.find(f"{_tag(PROJECT_NS, 'CodeBook')}/{_tag(PROJECT_NS, 'Codes')}")
        name = root.get("name") or path.stem
        return codebook_from_xml(codes, root.find(_tag(PROJECT_NS, "Sets")), name, str(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RefiError(f"cannot read ({error.strerror})", path) from None
    root = parse_xml(data, str(path), CODEBOOK_NS, "CodeBook")
    codes = root.find(_tag(CODEBOOK_NS, "Codes"))
    return codebook_from_xml(codes, root.find(_tag(CODEBOOK_NS, "Sets")), path.stem, str(path))


def codebook_from_xml(
    codes: Element | None, sets: Element | None, fallback_name: str, label: str
) -> Codebook:
    """Build a Codebook from a ``<Codes>`` element (and ``<Sets>``, if any) of either namespace."""
    top_level = [] if codes is None else _local_children(codes, "Code")
    if not top_level:
        raise RefiError("the codebook has no codes", label)
    name, description, version, notes = _codebook_details(sets, fallback_name)
    parents = [code for code in top_level if _local_children(code, "Code")]
    dimensions = [_dimension(code) for code in parents]
    loose = tuple(_code(code, (code.get("name", ""),)) for code in top_level if code not in parents)
    if loose:
        dimensions.append(Dimension(OTHER_CODES, loose, label="" if parents else name))
    try:
        return Codebook(
            name, tuple(dimensions), version=version, description=description, notes=notes
        )
    except CodebookError as error:
        raise CodebookError(error.problem, label) from None


def identifier(name: str) -> str:
    """``name`` as a code identifier: lower case ASCII letters, digits and ``_``."""
    if IDENTIFIER.match(name):
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")
    return text if text[:1].isalpha() else f"code_{text}".rstrip("_")


def _codebook_details(sets: Element | None, fallback_name: str) -> tuple[str, str, str, str]:
    """Name, description, version and notes from the ``[codebook]`` set, if there is one."""
    for element in [] if sets is None else _local_children(sets, "Set"):
        body, flags = _split_trailer(_description(element))
        if "codebook" in flags:
            name = element.get("name") or fallback_name
            description, notes = _split_notes(body)
            return name, description, flags.get("version", ""), notes
    return fallback_name, "", "", ""


def _split_notes(body: str) -> tuple[str, str]:
    """The codebook's description and its notes (after a paragraph ``Notes for coders:``)."""
    lines = body.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == NOTES_HEADING and (index == 0 or not lines[index - 1].strip()):
            return "\n".join(lines[:index]).strip(), "\n".join(lines[index + 1 :]).strip()
    return body, ""


def _dimension(element: Element) -> Dimension:
    original = element.get("name", "")
    name = identifier(original)
    body, flags = _split_trailer(_description(element))
    return Dimension(
        name=name,
        codes=tuple(_descendant_codes(element, ())),
        label=flags.get("label", original if name != original else ""),
        description=body,
        multi_label="single-label" not in flags,
    )


def _descendant_codes(element: Element, path: tuple[str, ...]) -> Iterator[Code]:
    for child in _local_children(element, "Code"):
        child_path = (*path, child.get("name", ""))
        if child.get("isCodable", "true").strip().lower() in {"true", "1"}:
            yield _code(child, child_path)
        yield from _descendant_codes(child, child_path)


def _code(element: Element, path: tuple[str, ...]) -> Code:
    name = "__".join(identifier(part) for part in path)
    original = " > ".join(path)
    description, notes = split_code_notes(_description(element))
    if name != original:
        description = f"{original}: {description}" if description else original
    return Code(name, description, **notes)


def split_code_notes(text: str) -> tuple[str, dict]:
    """A code's description and its notes: the paragraphs from the first one that starts with
    ``Include:``, ``Exclude:`` or ``Keywords:`` to the end, each note in that order at most once
    (a line that starts no further note continues the one before)."""
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if NOTE_LINE.match(line) and (start == 0 or not lines[start - 1].strip()):
            break
    else:
        return text, {}
    found: dict[str, list[str]] = {}
    for line in lines[start:]:
        match = NOTE_LINE.match(line)
        label = match.group(1) if match else None
        if label and NOTE_LABELS.index(label) > max(map(NOTE_LABELS.index, found), default=-1):
            found[label] = [match.group(2)]
        else:
            found[list(found)[-1]].append(line)
    notes = {label.lower(): "\n".join(body).strip() for label, body in found.items()}
    if "keywords" in notes:
        words = notes["keywords"].split(KEYWORD_SEPARATOR)
        words = (re.sub(r"\s*\n\s*", " ", word).strip() for word in words)  # wrapped lines
        notes["keywords"] = tuple(word for word in words if word)
    return "\n".join(lines[:start]).strip(), notes


def _split_trailer(text: str) -> tuple[str, dict[str, str]]:
    """Split off trailing ``[key: value]`` / ``[flag]`` lines; return the body and the flags."""
    lines = text.splitlines()
    flags: dict[str, str] = {}
    while lines and (match := TRAILER_LINE.match(lines[-1].strip())):
        flags[match.group(1)] = (match.group(2) or "").strip()
        lines.pop()
    return "\n".join(lines).strip(), flags


def _description(element: Element) -> str:
    found = _local_children(element, "Description")
    return (found[0].text or "").strip() if found else ""


def _local_children(element: Element, name: str) -> list[Element]:
    """Child elements whose local name is ``name``, in any namespace (.qdc files vary)."""
    return [child for child in element if child.tag.rpartition("}")[2] == name]


def _tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"
