"""REFI-QDA projects (``.qdpx``): read coded projects for training, write drafts for coders.

Reading keeps what training needs: text sources with their plain text, the codes (nested, with
their paths), the users, and the coded selections with code-point offsets into the plain text.
Line endings are normalised to ``\\n`` before offsets count. A source whose plain text is
missing or a placeholder (NVivo writes a 1-byte ``.txt`` next to the ``.docx``) is read from
its ``.docx``; offsets then refer to that text (paragraphs joined by ``\\n``).

Writing turns a batch of suggestions into a draft: every transcript a ``TextSource``, every
suggestion a ``PlainTextSelection`` coded by a ``User`` named for the model (always starting
with ``dtors-nlp``), with confidence, band and the closest exemplar in its ``Description``.
Project sets cannot hold selections, so each suggestion also gets a ``Note`` (a memo with the
same text) and the sets ``likely`` and ``review`` list those notes. ``write_coded_qdpx`` writes a
person's coding instead (a hand-coded training set, say): the same sources, each coding a
selection by a ``User`` named for the coder, with no note or band.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from xml.etree.ElementTree import Element, SubElement

from dtors_nlp import __version__
from dtors_nlp.codebook import Codebook
from dtors_nlp.errors import OutputError, RefiError
from dtors_nlp.files import write_atomically
from dtors_nlp.refi.codebook import (
    code_guid,
    codebook_set,
    codebook_to_xml,
    make_guid,
    xml_bytes,
)
from dtors_nlp.refi.safe import (
    PROJECT_NS,
    Archive,
    normalise_guid,
    open_archive,
    read_project_xml,
)

if TYPE_CHECKING:
    from dtors_nlp.suggestion import Suggestion
    from dtors_nlp.transcripts.spans import Transcript

MODEL_USER_PREFIX = "dtors-nlp"
BAND_DESCRIPTIONS = {
    "likely": "Suggestions above the code's auto-accept threshold.",
    "review": "Suggestions worth a coder's look.",
}
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so that the same draft gives the same bytes


@dataclass(frozen=True)
class User:
    guid: str
    name: str


@dataclass(frozen=True)
class ProjectCode:
    """A code of the project's codebook; ``path`` runs from the top-level code down to it."""

    guid: str
    path: tuple[str, ...]
    codable: bool = True

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def qualified(self) -> str:
        """The path as ``parent/child``: ``barrier/engagement`` for our own codebook."""
        return "/".join(self.path)


@dataclass(frozen=True)
class Coding:
    """A code applied to a selection, by a user (GUIDs; ``user`` is empty when unknown)."""

    code: str
    user: str = ""


@dataclass(frozen=True)
class Selection:
    """A coded stretch of a source: ``text == source.text[start:end]`` (code points)."""

    guid: str
    start: int
    end: int
    text: str
    codings: tuple[Coding, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Source:
    guid: str
    name: str
    text: str
    selections: tuple[Selection, ...] = ()


@dataclass(frozen=True)
class Project:
    name: str
    sources: tuple[Source, ...]
    codes: dict[str, ProjectCode] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    origin: str = ""


class CodedSelection(NamedTuple):
    """A selection as a training passage: its codes (as paths) and who coded it."""

    source: str
    text: str
    codes: frozenset[str]
    coder: str


# --- reading ----------------------------------------------------------------------------------


def read_qdpx(path: str | PathLike[str]) -> Project:
    """Read a ``.qdpx`` project: users, codes, text sources and their coded selections."""
    with open_archive(path) as archive:
        root = read_project_xml(archive)
        users = [
            User(normalise_guid(user.get("guid", "")), user.get("name", ""))
            for user in _find(root, "Users", "User")
        ]
        codes = {code.guid: code for code in _read_codes(_find(root, "CodeBook", "Codes", "Code"))}
        sources = tuple(
            _read_source(element, archive, codes)
            for element in _find(root, "Sources", "TextSource")
        )
    users_by_guid = {user.guid: user for user in users}
    return Project(root.get("name", ""), sources, codes, users_by_guid, root.get("origin", ""))


def coded_selections(
    project: Project, exclude_user_prefix: str = MODEL_USER_PREFIX
) -> Iterator[CodedSelection]:
    """Each coded selection as a training passage, leaving out unconfirmed model suggestions.

    Users whose name starts with ``exclude_user_prefix`` are models. A selection counts once a
    human coder has put a code on it; then all its codings count, the model's included (the
    coder saw them and left them in place). Selections coded only by a model are left out.
    """
    models = model_users(project, exclude_user_prefix)
    for source in project.sources:
        for selection in source.selections:
            humans = sorted({coding.user for coding in selection.codings} - models)
            if not humans or not selection.text.strip():
                continue
            coder = ", ".join(filter(None, (_user_name(project, guid) for guid in humans)))
            codes = frozenset(project.codes[coding.code].qualified for coding in selection.codings)
            yield CodedSelection(source.name, selection.text, codes, coder)


def model_users(project: Project, prefix: str = MODEL_USER_PREFIX) -> set[str]:
    """GUIDs of the users that are models: their name starts with ``prefix``."""
    prefix = prefix.lower()
    return {guid for guid, user in project.users.items() if user.name.lower().startswith(prefix)}


def _user_name(project: Project, guid: str) -> str:
    user = project.users.get(guid)
    return user.name if user else ""


def _read_codes(elements: list[Element], parent: tuple[str, ...] = ()) -> Iterator[ProjectCode]:
    for element in elements:
        path = (*parent, element.get("name", ""))
        codable = element.get("isCodable", "true").strip().lower() in {"true", "1"}
        yield ProjectCode(normalise_guid(element.get("guid", "")), path, codable)
        yield from _read_codes(_project_children(element, "Code"), path)


def _read_source(element: Element, archive: Archive, codes: Mapping[str, ProjectCode]) -> Source:
    reference = element.get("plainTextPath") or ""
    name = element.get("name") or reference.rpartition("/")[2] or element.get("guid", "")
    label = f"{archive.label}: source {name!r}"
    text = _source_text(element, archive, label)
    selections = tuple(
        _read_selection(selection, text, codes, label)
        for selection in _project_children(element, "PlainTextSelection")
    )
    return Source(normalise_guid(element.get("guid", "")), name, text, selections)


def _source_text(element: Element, archive: Archive, label: str) -> str:
    """The plain text, from ``PlainTextContent``, the ``.txt`` or, for placeholders, the .docx."""
    content = _project_children(element, "PlainTextContent")
    text = (
        (content[0].text or "") if content else _member_text(element.get("plainTextPath"), archive)
    )
    rich = _member_name(element.get("richTextPath"))
    if (text is None or not text.strip()) and rich and rich.lower().endswith(".docx"):
        text = _docx_text(archive.read(rich), label) if rich in archive.names else text
    if text is None:
        raise RefiError("its plain text is missing from the archive", label)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _member_text(reference: str | None, archive: Archive) -> str | None:
    name = _member_name(reference)
    if name is None or name not in archive.names:
        return None
    try:
        return archive.read(name).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RefiError(f"{name} is not UTF-8 (byte {error.start})", archive.label) from None


def _member_name(reference: str | None) -> str | None:
    """The archive member of ``internal://x.txt`` or of a relative path (``sources/x.txt``)."""
    if not reference:
        return None
    if reference.startswith("internal://"):
        return f"sources/{reference.removeprefix('internal://')}"
    return None if "://" in reference else f"sources/{reference.lstrip('/')}"


def _docx_text(data: bytes, label: str) -> str:
    import docx

    with open_archive(data, f"{label} (.docx)"):  # the same zip bomb checks, before python-docx
        pass
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds for a broken file
        raise RefiError(f"unreadable .docx ({type(error).__name__})", label) from None
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def _read_selection(
    element: Element, text: str, codes: Mapping[str, ProjectCode], label: str
) -> Selection:
    guid = normalise_guid(element.get("guid", ""))
    try:
        start, end = int(element.get("startPosition", "")), int(element.get("endPosition", ""))
    except ValueError:
        raise RefiError(f"selection {guid} has no whole-number positions", label) from None
    if not 0 <= start <= end <= len(text):
        raise RefiError(f"selection {guid} ({start}-{end}) lies outside the text", label)
    user = normalise_guid(element.get("creatingUser", ""))
    codings = []
    for coding in _project_children(element, "Coding"):
        refs = _project_children(coding, "CodeRef")
        code = normalise_guid(refs[0].get("targetGUID", "")) if refs else ""
        if code not in codes:
            raise RefiError(f"selection {guid} is coded with an unknown code {code!r}", label)
        codings.append(Coding(code, normalise_guid(coding.get("creatingUser", "")) or user))
    description = _project_children(element, "Description")
    return Selection(
        guid,
        start,
        end,
        text[start:end],
        tuple(codings),
        (description[0].text or "") if description else "",
    )


def _find(element: Element, *path: str) -> list[Element]:
    """Descendants along ``path``, each step the name of a child element."""
    found = [element]
    for name in path:
        found = [child for parent in found for child in _project_children(parent, name)]
    return found


def _project_children(element: Element, name: str) -> list[Element]:
    """Child elements called ``name`` in the REFI-QDA project namespace only."""
    return [child for child in element if child.tag == f"{{{PROJECT_NS}}}{name}"]


# --- writing ----------------------------------------------------------------------------------


def write_qdpx(
    path: str | PathLike[str],
    transcripts: Iterable[Transcript],
    suggestions: Iterable[Suggestion],
    codebook: Codebook,
    model_name: str,
    description: str = "",
) -> None:
    """Write a draft project of the transcripts, coded with the suggestions, atomically.

    Each suggestion's ``transcript`` is a ``Transcript.id`` of ``transcripts``.
    ``description``: the project's description (what produced the draft).
    """
    path = Path(path)
    transcripts = list(transcripts)
    by_transcript = _group(suggestions, [t.id for t in transcripts], path, "suggestion")
    user = _model_user(model_name)
    root, sources, files = _project(path, transcripts, codebook, user)
    notes = Element("Notes")
    band_members: dict[str, list[str]] = defaultdict(list)
    for transcript, source in zip(transcripts, sources, strict=True):
        for suggestion in by_transcript[transcript.id]:
            _check_span(suggestion, transcript, codebook, path)
            note = _suggestion_elements(source, notes, suggestion, transcript, codebook, user)
            band_members[suggestion.band].append(note)
    root.extend(element for element in (sources, notes) if len(element))
    sets = SubElement(root, "Sets")
    sets.append(codebook_set(codebook, in_project=True))
    for band in sorted(band_members):
        _band_set(sets, band, band_members[band])
    _write_project(path, root, files, description)


def write_coded_qdpx(
    path: str | PathLike[str],
    transcripts: Iterable[Transcript],
    codings: Iterable[CodedSpan],
    codebook: Codebook,
    coder: str,
    description: str = "",
) -> None:
    """Write a project of the transcripts with a person's codings, atomically.

    ``codings``: ``(transcript id, start, end, code)``, offsets into the transcript's text; the
    codes of one stretch of text go on one selection. ``coder``: the name of the project's user
    who made them.
    """
    path = Path(path)
    transcripts = list(transcripts)
    spans = [CodedSpan(*coding) for coding in codings]
    by_transcript = _group(spans, [t.id for t in transcripts], path, "coding")
    user = User(make_guid("user", coder), _xml_text(coder))
    root, sources, files = _project(path, transcripts, codebook, user)
    for transcript, source in zip(transcripts, sources, strict=True):
        for span in by_transcript[transcript.id]:
            _check_span(span, transcript, codebook, path)
        stretches = groupby(by_transcript[transcript.id], key=lambda span: span[1:3])
        for (start, end), group in stretches:
            codes = [span.code for span in group]
            _selection_element(source, transcript, start, end, codes, codebook, user)
    if len(sources):
        root.append(sources)
    SubElement(root, "Sets").append(codebook_set(codebook, in_project=True))
    _write_project(path, root, files, description)


class CodedSpan(NamedTuple):
    """A person's coding of a stretch of a transcript's text."""

    transcript: str
    start: int
    end: int
    code: str


def _project(
    path: Path, transcripts: list[Transcript], codebook: Codebook, user: User
) -> tuple[Element, Element, dict[str, bytes]]:
    """The project element with its user and codebook, the sources element with one source per
    transcript, and the sources' text files."""
    root = Element("Project", xmlns=PROJECT_NS, name=path.stem)
    root.set("origin", f"dtors-nlp {__version__}")
    root.set("creatingUserGUID", user.guid)
    SubElement(SubElement(root, "Users"), "User", guid=user.guid, name=user.name)
    root.append(codebook_to_xml(codebook, in_project=True))
    sources, files = Element("Sources"), {}
    for transcript in transcripts:
        source = _source_element(sources, transcript, user)
        files[f"sources/{source.get('guid')}.txt"] = transcript.text.encode("utf-8")
    return root, sources, files


def _write_project(path: Path, root: Element, files: dict[str, bytes], description: str) -> None:
    if description:
        SubElement(root, "Description").text = _xml_text(description)
    write_atomically(path, _zip_bytes({"project.qde": xml_bytes(root), **files}))


def _model_user(model_name: str) -> User:
    name = model_name if model_name.startswith(MODEL_USER_PREFIX) else f"dtors-nlp {model_name}"
    return User(make_guid("user", name), _xml_text(name))


def _group(items: Iterable, transcript_ids: list[str], path: Path, kind: str) -> dict[str, list]:
    """Suggestions or codings (``kind``) per transcript, in text order; OutputError for unknown
    transcripts, two transcripts with one id, and an item given twice."""
    known = set(transcript_ids)
    if len(known) < len(transcript_ids):
        raise OutputError("two transcripts have the same id", path)
    grouped: dict[str, list] = defaultdict(list)
    for item in items:
        if item.transcript not in known:
            raise OutputError(f"{kind} for unknown transcript {item.transcript!r}", path)
        grouped[item.transcript].append(item)
    for transcript, group in grouped.items():
        group.sort(key=_position)
        for first, second in zip(group, group[1:]):
            if _position(first) == _position(second):
                where = "{2} at {0}-{1}".format(*_position(first))
                raise OutputError(f"{kind} {where} of {transcript!r} appears twice", path)
    return grouped


def _position(item: Suggestion | CodedSpan) -> tuple[int, int, str]:
    return item.start, item.end, item.code


def _check_span(
    item: Suggestion | CodedSpan, transcript: Transcript, codebook: Codebook, path: Path
) -> None:
    start, end, code = _position(item)
    where = f"{code} at {start}-{end}"
    if code not in codebook.codes:
        raise OutputError(f"{where}: code not in codebook {codebook.name!r}", path)
    if not 0 <= start <= end <= len(transcript.text):
        raise OutputError(f"{where}: outside transcript {transcript.id!r}", path)


def _source_element(sources: Element, transcript: Transcript, user: User) -> Element:
    guid = make_guid("source", transcript.id)
    source = SubElement(sources, "TextSource", guid=guid, name=_xml_text(transcript.id))
    source.set("plainTextPath", f"internal://{guid}.txt")
    source.set("creatingUser", user.guid)
    SubElement(source, "Description").text = _xml_text(f"Transcript read from {transcript.source}")
    return source


def _suggestion_elements(
    source: Element,
    notes: Element,
    suggestion: Suggestion,
    transcript: Transcript,
    codebook: Codebook,
    user: User,
) -> str:
    """Add the selection (with its coding) and its note; return the note's GUID."""
    code, start, end = suggestion.code, suggestion.start, suggestion.end
    description = _describe(suggestion, user.name)
    title = f"{code} ({suggestion.confidence:.2f})"
    selection = _selection_element(source, transcript, start, end, [code], codebook, user, title)
    selection.insert(0, Element("Description"))
    selection[0].text = description
    note_guid = make_guid("note", selection.get("guid"))
    SubElement(selection, "NoteRef", targetGUID=note_guid)
    note = SubElement(notes, "Note", guid=note_guid, name=title, creatingUser=user.guid)
    SubElement(note, "PlainTextContent").text = description
    return note_guid


def _selection_element(
    source: Element,
    transcript: Transcript,
    start: int,
    end: int,
    codes: Sequence[str],
    codebook: Codebook,
    user: User,
    title: str = "",
) -> Element:
    """A selection of ``source`` from ``start`` to ``end``, coded with ``codes`` by ``user``."""
    guid = make_guid("selection", transcript.id, str(start), str(end), *codes)
    name = title or ", ".join(codes)
    selection = SubElement(source, "PlainTextSelection", guid=guid, name=name)
    selection.set("startPosition", str(start))
    selection.set("endPosition", str(end))
    selection.set("creatingUser", user.guid)
    for code in codes:
        coding_guid = make_guid("coding", guid, *([code] if len(codes) > 1 else []))
        coding = SubElement(selection, "Coding", guid=coding_guid, creatingUser=user.guid)
        SubElement(coding, "CodeRef", targetGUID=code_guid(codebook, code))
    return selection


def _describe(suggestion: Suggestion, model: str) -> str:
    """The text a coder sees on a suggested selection."""
    lines = [
        f"Suggested by {model}: {suggestion.code}",
        f"confidence {suggestion.confidence:.2f} ({suggestion.band})",
    ]
    if suggestion.exemplars:
        lines.append(f"closest coded example: {suggestion.exemplars[0]}")
    return _xml_text("\n".join(lines))


def _band_set(sets: Element, band: str, notes: list[str]) -> None:
    element = SubElement(sets, "Set", guid=make_guid("set", "band", band), name=_xml_text(band))
    SubElement(
        element, "Description"
    ).text = f"{BAND_DESCRIPTIONS[band]} Each member is the note of one suggested selection."
    for note in notes:
        SubElement(element, "MemberNote", targetGUID=note)


def _xml_text(text: str) -> str:
    """``text`` without the control characters XML cannot hold."""
    return NOT_XML.sub("", text)


def _zip_bytes(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
