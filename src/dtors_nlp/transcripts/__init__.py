"""Reading interview transcripts into Transcripts with speaker turns, sentences and passages.

Three entry points, all taking the keyword options of ``ReadOptions`` (roles, monologue, table
column names, segmenter, passage size):

- ``load_transcript(path, transcript_id=None, **options)``: one file, one Transcript. A table or
  JSONL file holding several transcripts needs ``transcript_id`` (or use ``load_transcripts``).
- ``load_transcripts(paths, **options)``: every transcript in files and folders (searched
  recursively for supported files, sorted, hidden files skipped); stops at the first bad file
  with a TranscriptError.
- ``iter_transcripts(paths, **options)``: the same, for batch jobs that must carry on past a bad
  file: yields ``(path, result)`` pairs where ``result`` is a Transcript or the TranscriptError
  that file raised. A table yields one pair per transcript in it. Documents in a folder that are
  not read (.pdf, .doc, .odt) are reported too, where ``load_transcripts`` passes over them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from os import PathLike
from pathlib import Path
from typing import Any

from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts.assemble import Draft, build
from dtors_nlp.transcripts.documents import read_docx, read_rtf
from dtors_nlp.transcripts.options import ReadOptions
from dtors_nlp.transcripts.spans import Passage, Sentence, Transcript, Turn
from dtors_nlp.transcripts.subtitles import read_subtitles
from dtors_nlp.transcripts.tables import read_jsonl, read_table
from dtors_nlp.transcripts.text import read_plain_text

__all__ = [
    "SUFFIXES",
    "Passage",
    "ReadOptions",
    "Sentence",
    "Transcript",
    "Turn",
    "iter_transcripts",
    "load_transcript",
    "load_transcripts",
]

READERS = {
    ".txt": read_plain_text,
    ".md": read_plain_text,
    ".docx": read_docx,
    ".rtf": read_rtf,
    ".vtt": read_subtitles,
    ".srt": read_subtitles,
    ".csv": read_table,
    ".tsv": read_table,
    ".jsonl": read_jsonl,
}
SUFFIXES = tuple(READERS)
NOT_READ = {  # documents that may hold a transcript, and what to do with them
    ".pdf": "save the transcript as .docx or .txt first",
    ".doc": "save it as .docx first",
    ".odt": "save it as .docx first",
}

StrPath = str | PathLike[str]


def load_transcript(
    path: StrPath, transcript_id: str | int | None = None, **options: Any
) -> Transcript:
    """Read one transcript; ``transcript_id`` picks one from a table holding several."""
    settings = ReadOptions(**options)
    drafts = _read(Path(path), settings)
    if transcript_id is not None:
        drafts = [_pick(drafts, str(transcript_id), Path(path))]
    elif len(drafts) > 1:
        raise TranscriptError(
            f"holds {len(drafts)} transcripts; use load_transcripts() to read them all, "
            "or transcript_id to pick one",
            path,
        )
    return _finish(drafts[0], str(path), settings)


def load_transcripts(paths: StrPath | Iterable[StrPath], **options: Any) -> Iterator[Transcript]:
    """Every transcript in the files and folders; raises the first TranscriptError met."""
    settings = ReadOptions(**options)
    for path, problem in _expand(paths, with_documents=False):
        for _, result in _transcripts_in(path, problem, settings):
            if isinstance(result, TranscriptError):
                raise result
            yield result


def iter_transcripts(
    paths: StrPath | Iterable[StrPath], **options: Any
) -> Iterator[tuple[Path, Transcript | TranscriptError]]:
    """``(path, Transcript or TranscriptError)`` for every transcript; never stops at a bad one."""
    settings = ReadOptions(**options)
    for path, problem in _expand(paths, with_documents=True):
        yield from _transcripts_in(path, problem, settings)


def list_inputs(paths: StrPath | Iterable[StrPath]) -> list[Path]:
    """What ``iter_transcripts(paths)`` goes through, one path at a time: each file to read, and
    each path it reports as giving none (missing, or a folder without transcripts)."""
    return [path for path, _ in _expand(paths, with_documents=True)]


def _transcripts_in(
    path: Path, problem: TranscriptError | None, settings: ReadOptions
) -> Iterator[tuple[Path, Transcript | TranscriptError]]:
    """``(path, Transcript or TranscriptError)`` for each transcript of one file."""
    if problem:
        yield path, problem
        return
    try:
        drafts = _read(path, settings)
    except TranscriptError as error:
        yield path, error
        return
    for draft in drafts:
        try:
            yield path, _finish(draft, str(path), settings)
        except TranscriptError as error:
            yield path, error


def _expand(
    paths: StrPath | Iterable[StrPath], with_documents: bool
) -> Iterator[tuple[Path, TranscriptError | None]]:
    """Each file to read, or the problem with a path that gives none; ``with_documents``: also
    the documents in folders that are not read (their reading then says why)."""
    wanted = set(READERS) | (set(NOT_READ) if with_documents else set())
    for given in [paths] if isinstance(paths, str | PathLike) else paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(
                file
                for file in path.rglob("*")
                if file.suffix.lower() in wanted and file.is_file() and _visible(file, path)
            )
            if not files:
                yield path, TranscriptError(f"no transcripts ({', '.join(SUFFIXES)}) found", path)
            for file in files:
                yield file, None
        elif path.exists():
            yield path, None
        else:
            yield path, TranscriptError("no such file or folder", path)


def _visible(file: Path, folder: Path) -> bool:
    """False for hidden files and folders and Word's ``~$`` lock files."""
    return not any(part.startswith((".", "~$")) for part in file.relative_to(folder).parts)


def _read(path: Path, options: ReadOptions) -> list[Draft]:
    if not path.exists():
        raise TranscriptError("no such file", path)
    if path.is_dir():
        raise TranscriptError("is a folder; use load_transcripts() for the transcripts in it", path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        advice = NOT_READ.get(path.suffix.lower(), f"supported: {', '.join(SUFFIXES)}")
        raise TranscriptError(
            f"unknown transcript format {path.suffix or '(no extension)'!r} ({advice})", path
        )
    return reader(path, options)


def _pick(drafts: list[Draft], transcript_id: str, path: Path) -> Draft:
    for draft in drafts:
        if transcript_id in (draft.id, draft.id.partition("#")[2]):
            return draft
    known = ", ".join(draft.id for draft in drafts[:5]) + (", ..." if len(drafts) > 5 else "")
    raise TranscriptError(f"no transcript {transcript_id!r} (there are: {known})", path)


def _finish(draft: Draft, source: str, options: ReadOptions) -> Transcript:
    from dtors_nlp.segment import segment  # here, as segment.py imports this package's spans

    transcript = build(draft, source, options.roles)
    segment(
        transcript,
        options.segmenter,
        options.max_sentences,
        options.max_words,
        options.sentence_cache,
    )
    return transcript
