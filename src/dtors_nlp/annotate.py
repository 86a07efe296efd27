"""Pre-code a batch of transcripts into a draft folder, resumably.

The run reads the inputs in batches of files (``BYTES_PER_BATCH``), asks the model for each batch's
suggestions at once, and keeps each finished transcript's suggestions in ``OUT/.parts/`` (a file of
JSON lines: the transcript's fingerprint, then its lines of ``suggestions.jsonl``). Only when every
transcript is done does it write the outputs (``suggestions.jsonl``, ``suggestions.csv``,
``summary.csv`` in one pass and, if asked, a REFI-QDA project and a review page), each whole or not
at all, reading the suggestions back from the parts: a finished transcript is not kept in memory
unless a REFI-QDA project or a review page needs its text. An interrupted run leaves no partial
output, and a re-run resumes: finished transcripts are skipped unless they changed or ``force`` is
set. Files that cannot be read are reported in ``skipped.csv`` and the run goes on. Last comes
``manifest.json`` (see ``provenance``): the model's fingerprint, the options, and every input and
output file with its SHA-256, for ``dtors-nlp verify``. The outputs list the transcripts in input
order, however the run was split, resumed or distributed (``client``: see
``dtors_nlp.distributed``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dtors_nlp import __version__
from dtors_nlp.errors import DtorsError, OutputError
from dtors_nlp.export import suggestions as files
from dtors_nlp.files import write_atomically
from dtors_nlp.model import CodeSuggester
from dtors_nlp.progress import track
from dtors_nlp.provenance import (
    MANIFEST,
    check_expected_model,
    draft_model_summary,
    file_record,
    short,
    write_manifest,
)
from dtors_nlp.suggestion import Suggestion
from dtors_nlp.transcripts import iter_transcripts, list_inputs
from dtors_nlp.transcripts.spans import Transcript

if TYPE_CHECKING:
    from distributed import Client

FORMATS = ("jsonl", "csv", "qdpx", "html")
RUN_STATE = ".dtors-nlp-annotate.json"
BYTES_PER_BATCH = 500_000  # files read and coded together: about 2,000 passages of text
BYTES_PER_TASK = 125_000  # a cluster task's files at most (fewer towards the end of a run)
SKIPPED_SHOWN = 10  # files named in the error when none could be read
PART_SUFFIX = ".jsonl"  # a transcript's fingerprint, then its lines of suggestions.jsonl
T = TypeVar("T")


@dataclass
class AnnotationReport:
    """What a run did: transcripts coded now, reused from an earlier run, and files skipped."""

    out_dir: Path
    coded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, problem)
    suggestions: int = 0
    outputs: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class _Done:
    """A finished transcript: its suggestions are in ``part``; the Transcript only if needed."""

    id: str
    source: str
    part: Path
    transcript: Transcript | None


@dataclass(frozen=True)
class Input:
    """One input path: its place in the run, its name as given (the transcripts' ``source``)
    and the path this process reads it from."""

    index: int
    name: str
    path: Path


@dataclass(frozen=True)
class Outcome:
    """One transcript of an input: coded now (``part``: its part file's JSON until written),
    reused from an earlier run, or unreadable (``problem``)."""

    path: str
    id: str = ""
    source: str = ""
    coded: bool = False
    part: str | None = None
    transcript: Transcript | None = None
    problem: str | None = None


@dataclass
class FileResult:
    """What one input gave: its manifest record (None if not a file) and its outcomes."""

    index: int
    record: dict | None
    outcomes: list[Outcome]


def annotate(
    inputs: Sequence[str | PathLike[str]],
    out_dir: str | PathLike[str],
    model: CodeSuggester,
    formats: Iterable[str] = ("jsonl", "csv"),
    force: bool = False,
    per_transcript: bool = False,
    expect_model: str | None = None,
    client: Client | None = None,
) -> AnnotationReport:
    """Pre-code every transcript under ``inputs`` into ``out_dir``; see the module docstring.

    ``expect_model``: refuse (ModelError) any model without this fingerprint (or its short form).
    ``client``: a ``dask.distributed`` client; the batches are then read, segmented and coded on
    its workers (see ``dtors_nlp.distributed``), with the same outputs.
    """
    formats = _check_formats(formats)
    if expect_model is not None:
        check_expected_model(model, expect_model)
    described = draft_model_summary(model)
    out = Path(out_dir)
    _check_out_dir(out, inputs)
    before = _contents(out)
    _prepare_out_dir(out, model, force)
    report = AnnotationReport(out)
    parts = out / ".parts"
    keep = bool({"qdpx", "html"} & set(formats))  # drafts need the transcripts' text
    known = {} if force else _known_parts(parts)
    listed = [Input(i, str(path), path) for i, path in enumerate(list_inputs(inputs))]
    if client is None:
        work = batches(listed, BYTES_PER_BATCH)
        results = (r for batch in work for r in code_files(batch, model, known, keep))
    else:
        from dtors_nlp.distributed import code_on_cluster

        results = code_on_cluster(client, listed, model, known, keep)
    tracked = track(results, "Reading and coding transcripts", total=len(listed))
    done, read = _collect(tracked, parts, report)
    if not done and report.skipped:
        _remove_added(out, before)
        raise DtorsError(_nothing_read(report.skipped))
    _write_outputs(out, done, model, described["fingerprint"], formats, per_transcript, report)
    options = {"formats": formats, "per_transcript": per_transcript, "force": force}
    counts = {
        "transcripts_coded": len(report.coded),
        "transcripts_reused": len(report.reused),
        "files_skipped": len(report.skipped),
        "suggestions": report.suggestions,
    }
    manifest = write_manifest(out, described, options, read, report.outputs, counts)
    report.outputs.append(manifest)
    return report


def batches(inputs: Sequence[Input], size: int, workers: int = 0) -> list[list[Input]]:
    """Consecutive inputs, grouped until they hold ``size`` bytes: the unit of work. The
    outputs do not depend on it, as a sentence vector depends on its text alone.

    ``workers``: when more than 0, each batch also holds at most ``1 / (2 * workers)`` of the
    bytes not yet grouped, so batches shrink towards the end of the run and no worker is left
    coding a long last batch while the others wait (guided self-scheduling).
    """
    left = sum(map(_bytes, inputs))
    groups: list[list[Input]] = []
    held = limit = 0.0
    for item in inputs:
        if not groups or held >= limit:
            groups.append([])
            held, limit = 0, size if workers <= 0 else min(size, left / (2 * workers))
        groups[-1].append(item)
        held += _bytes(item)
        left -= _bytes(item)
    return groups


def _bytes(item: Input) -> int:
    return item.path.stat().st_size if item.path.is_file() else 0


def code_files(
    inputs: Sequence[Input], model: CodeSuggester, known: Mapping[str, str], keep: bool
) -> list[FileResult]:
    """Read and segment a batch of inputs and code their new transcripts in one go.

    ``known``: the part file name and fingerprint of each transcript coded by an earlier run;
    those unchanged are reused. ``keep``: return each transcript with its outcome.
    """
    results: list[FileResult] = []
    fresh: list[tuple[list[Outcome], int, Transcript]] = []  # where each new one's outcome goes
    sentence_cache = model.embedder_.cache_dir  # beside the vectors, and off with them
    for item in inputs:
        record = file_record(item.path, item.name) if item.path.is_file() else None
        outcomes: list[Outcome] = []
        for _, read in iter_transcripts(item.path, sentence_cache=sentence_cache):
            if isinstance(read, DtorsError):
                outcomes.append(Outcome(item.name, problem=read.problem))
                continue
            read.source = item.name
            if known.get(_part_name(read.source, read.id)) == _fingerprint(read):
                kept = _kept(read, keep)
                outcomes.append(Outcome(item.name, read.id, read.source, transcript=kept))
            else:
                fresh.append((outcomes, len(outcomes), read))
                outcomes.append(Outcome(item.name))  # filled in once coded
        results.append(FileResult(item.index, record, outcomes))
    found = model.suggest_many([transcript for *_, transcript in fresh]) if fresh else {}
    for outcomes, place, transcript in fresh:
        lines = [json.dumps({"fingerprint": _fingerprint(transcript)})]
        lines += map(files.json_line, found.pop(transcript.id))
        outcomes[place] = Outcome(
            transcript.source,
            transcript.id,
            transcript.source,
            coded=True,
            part="".join(line + "\n" for line in lines),
            transcript=_kept(transcript, keep),
        )
    return results


def _kept(transcript: Transcript, keep: bool) -> Transcript | None:
    return transcript if keep else None


def _collect(
    results: Iterable[FileResult], parts: Path, report: AnnotationReport
) -> tuple[list[_Done], list[dict]]:
    """Write each newly coded transcript's part as its result arrives (in any order); the
    finished transcripts and the inputs' manifest records in input order, ``report`` filled in."""
    arrived: dict[int, FileResult] = {}
    for result in results:
        for place, outcome in enumerate(result.outcomes):
            if outcome.part is not None:
                write_atomically(_part_path(parts, outcome.source, outcome.id), outcome.part)
                result.outcomes[place] = replace(outcome, part=None)
        arrived[result.index] = result
    done: list[_Done] = []
    read: dict[str, dict] = {}  # input file -> size and SHA-256
    for index in sorted(arrived):
        result = arrived.pop(index)
        if result.record is not None:
            read.setdefault(result.record["path"], result.record)
        for outcome in result.outcomes:
            if outcome.problem is not None:
                report.skipped.append((outcome.path, outcome.problem))
                continue
            (report.coded if outcome.coded else report.reused).append(outcome.id)
            part = _part_path(parts, outcome.source, outcome.id)
            done.append(_Done(outcome.id, outcome.source, part, outcome.transcript))
    return done, list(read.values())


def _nothing_read(skipped: list[tuple[str, str]]) -> str:
    """The error when no transcript could be read: each file and its problem."""
    shown = "; ".join(f"{path}: {problem}" for path, problem in skipped[:SKIPPED_SHOWN])
    more = len(skipped) - SKIPPED_SHOWN
    return f"no transcript could be read: {shown}" + (f"; and {more} more" if more > 0 else "")


def _contents(folder: Path) -> set[Path] | None:
    """What ``folder`` holds, or None if it does not exist."""
    return set(folder.iterdir()) if folder.is_dir() else None


def _remove_added(folder: Path, before: set[Path] | None) -> None:
    """Remove what this run added to ``folder`` (the folder too, if it made it)."""
    if before is None:
        shutil.rmtree(folder)
        return
    for added in set(folder.iterdir()) - before:
        if added.is_dir():
            shutil.rmtree(added)
        else:
            added.unlink()


def _check_formats(formats: Iterable[str]) -> list[str]:
    chosen = [f.strip().lower() for f in formats if f.strip()]
    unknown = sorted(set(chosen) - set(FORMATS))
    if unknown:
        raise DtorsError(f"unknown output format {unknown[0]!r} (use {', '.join(FORMATS)})")
    return chosen


def _check_out_dir(out: Path, inputs: Sequence[str | PathLike[str]]) -> None:
    """Refuse an output folder inside an input folder: outputs would be read as input."""
    resolved = out.resolve()
    for path in map(Path, inputs):
        folder = path.resolve()
        if path.is_dir() and (resolved == folder or folder in resolved.parents):
            raise OutputError(f"the output folder is inside the input folder {path}", out)


def _prepare_out_dir(out: Path, model: CodeSuggester, force: bool) -> None:
    """Start or resume a run; refuse folders that hold someone else's files."""
    manifest = out / RUN_STATE
    wanted = {"model": model.name, "thresholds": model.thresholds_}
    if out.exists() and any(out.iterdir()):
        if not manifest.is_file():
            if not force:
                raise OutputError("is not empty and not a dtors-nlp draft (use --force)", out)
        elif json.loads(manifest.read_text("utf-8")) != wanted:
            if not force:
                raise OutputError("holds a draft from another model (use --force)", out)
            shutil.rmtree(out / ".parts", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    write_atomically(manifest, json.dumps(wanted))


def _part_name(source: str, transcript_id: str) -> str:
    return hashlib.sha256(f"{source}\0{transcript_id}".encode()).hexdigest()[:24] + PART_SUFFIX


def _part_path(parts: Path, source: str, transcript_id: str) -> Path:
    return parts / _part_name(source, transcript_id)


def _fingerprint(transcript: Transcript) -> str:
    spans = [(p.start, p.end, p.context) for p in transcript.passages]
    return hashlib.sha256(json.dumps([transcript.text, spans]).encode()).hexdigest()


def _known_parts(parts: Path) -> dict[str, str]:
    """Each part file's name and the fingerprint of the transcript it was coded from."""
    known = {}
    for path in parts.glob(f"*{PART_SUFFIX}"):
        try:
            with path.open(encoding="utf-8") as lines:
                known[path.name] = json.loads(lines.readline())["fingerprint"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # damaged: its transcript is coded again
    return known


def _read_back(done: Iterable[_Done]) -> Iterator[tuple[Suggestion, str]]:
    """The suggestions of finished transcripts, each with its JSON line, read back from their
    parts one at a time."""
    for finished in done:
        with finished.part.open(encoding="utf-8") as lines:
            try:
                if "fingerprint" not in json.loads(lines.readline()):
                    raise ValueError("its first line has no fingerprint")
                for line in lines:
                    yield Suggestion.from_dict(json.loads(line)), line.rstrip("\n")
            except (ValueError, KeyError, TypeError) as error:
                problem = f"damaged part of {finished.id!r} ({error}); run again with --force"
                raise OutputError(problem, finished.part) from None


def _write_outputs(
    out: Path,
    done: list[_Done],
    model: CodeSuggester,
    fingerprint: str | None,
    formats: list[str],
    per_transcript: bool,
    report: AnnotationReport,
) -> None:
    (out / MANIFEST).unlink(missing_ok=True)  # an earlier run's, until this run's is written
    tables = {"summary": out / "summary.csv"}
    tables |= {name: out / f"suggestions.{name}" for name in ("jsonl", "csv") if name in formats}
    counted = _counting(_read_back(done), report)
    ids = [(d.id, d.source) for d in done]
    files.write_tables(tables, counted, ids, model.codes, short(fingerprint))
    written = list(tables.values())
    if {"qdpx", "html"} & set(formats):
        groups = [[d] for d in done] if per_transcript else [done]
        for group in groups:
            stem = _safe_stem(group[0].id) if per_transcript else "draft"
            transcripts = [d.transcript for d in group]
            found = [suggestion for suggestion, _ in _read_back(group)]
            written += _write_drafts(out, stem, transcripts, found, model, fingerprint, formats)
    skipped = out / "skipped.csv"
    if report.skipped:
        problems = [{"path": path, "problem": problem} for path, problem in report.skipped]
        files.write_table(skipped, ("path", "problem"), problems)
        written.append(skipped)
    else:
        skipped.unlink(missing_ok=True)
    report.outputs = written


def _counting(items: Iterable[T], report: AnnotationReport) -> Iterator[T]:
    """``items`` unchanged, counted into ``report.suggestions``."""
    report.suggestions = 0
    for item in items:
        report.suggestions += 1
        yield item


def _write_drafts(
    out: Path,
    stem: str,
    transcripts: list[Transcript],
    suggestions: list[Suggestion],
    model: CodeSuggester,
    fingerprint: str | None,
    formats: list[str],
) -> list[Path]:
    written = []
    if "qdpx" in formats:
        from dtors_nlp.refi.project import write_qdpx

        written.append(out / f"{stem}.qdpx")
        description = (
            f"Draft suggested by dtors-nlp {__version__} with model {model.name}, fingerprint "
            f"{fingerprint or 'none (the model was not saved)'}; see {MANIFEST} beside it."
        )
        write_qdpx(written[-1], transcripts, suggestions, model.codebook_, model.name, description)
    if "html" in formats:
        from dtors_nlp.export.html import write_review_page

        written.append(out / f"{stem}.html")
        label = f"{model.name} · fingerprint {short(fingerprint)}"
        write_review_page(written[-1], transcripts, suggestions, model.codebook_, label)
    return written


def _safe_stem(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("._")
    return cleaned or "transcript"
