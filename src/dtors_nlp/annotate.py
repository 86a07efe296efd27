"""Pre-code a batch of transcripts into a draft folder, resumably.

The run reads every transcript under the inputs, asks the model for suggestions in batches
across transcripts, and keeps each finished transcript's suggestions in ``OUT/.parts/``. Only
when every transcript is done does it write the outputs (``suggestions.jsonl``,
``suggestions.csv``, ``summary.csv`` and, if asked, a REFI-QDA project and a review page), each
whole or not at all. An interrupted run leaves no partial output, and a re-run resumes: finished
transcripts are skipped unless they changed or ``force`` is set. Files that cannot be read are
reported in ``skipped.csv`` and the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from dtors_nlp.errors import DtorsError, OutputError
from dtors_nlp.export import suggestions as files
from dtors_nlp.files import write_atomically
from dtors_nlp.model import CodeSuggester
from dtors_nlp.progress import track
from dtors_nlp.transcripts import iter_transcripts
from dtors_nlp.transcripts.spans import Transcript

FORMATS = ("jsonl", "csv", "qdpx", "html")
MANIFEST = ".dtors-nlp-annotate.json"
PASSAGES_PER_BATCH = 2000


@dataclass
class AnnotationReport:
    """What a run did: transcripts coded now, reused from an earlier run, and files skipped."""

    out_dir: Path
    coded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, problem)
    suggestions: int = 0
    outputs: list[Path] = field(default_factory=list)


def annotate(
    inputs: Sequence[str | PathLike[str]],
    out_dir: str | PathLike[str],
    model: CodeSuggester,
    formats: Iterable[str] = ("jsonl", "csv"),
    force: bool = False,
    per_transcript: bool = False,
) -> AnnotationReport:
    """Pre-code every transcript under ``inputs`` into ``out_dir``; see the module docstring."""
    formats = _check_formats(formats)
    out = Path(out_dir)
    _check_out_dir(out, inputs)
    _prepare_out_dir(out, model, force)
    report = AnnotationReport(out)
    parts = out / ".parts"
    done: list[tuple[Transcript, list[dict]]] = []
    batch: list[Transcript] = []
    for path, result in track(iter_transcripts(inputs), "Reading and coding transcripts"):
        if isinstance(result, DtorsError):
            report.skipped.append((str(path), result.problem))
            continue
        previous = None if force else _read_part(parts, result)
        if previous is not None:
            report.reused.append(result.id)
            done.append((result, previous))
            continue
        batch.append(result)
        if sum(len(t.passages) for t in batch) >= PASSAGES_PER_BATCH:
            done.extend(_code_batch(batch, model, parts, report))
            batch = []
    done.extend(_code_batch(batch, model, parts, report))
    if not done and report.skipped:
        raise DtorsError(f"no transcript could be read ({len(report.skipped)} files skipped)")
    _write_outputs(out, done, model, formats, per_transcript, report)
    return report


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
    manifest = out / MANIFEST
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


def _part_path(parts: Path, transcript: Transcript) -> Path:
    key = hashlib.sha256(f"{transcript.source}\0{transcript.id}".encode()).hexdigest()[:24]
    return parts / f"{key}.json"


def _fingerprint(transcript: Transcript) -> str:
    spans = [(p.start, p.end, p.context) for p in transcript.passages]
    return hashlib.sha256(json.dumps([transcript.text, spans]).encode()).hexdigest()


def _read_part(parts: Path, transcript: Transcript) -> list[dict] | None:
    path = _part_path(parts, transcript)
    if not path.is_file():
        return None
    part = json.loads(path.read_text("utf-8"))
    return part["suggestions"] if part["fingerprint"] == _fingerprint(transcript) else None


def _code_batch(
    batch: list[Transcript], model: CodeSuggester, parts: Path, report: AnnotationReport
) -> Iterator[tuple[Transcript, list[dict]]]:
    if not batch:
        return
    found = model.suggest_many(batch)
    for transcript in batch:
        rows = [suggestion.to_dict() for suggestion in found[transcript.id]]
        part = {"fingerprint": _fingerprint(transcript), "suggestions": rows}
        write_atomically(_part_path(parts, transcript), json.dumps(part, ensure_ascii=False))
        report.coded.append(transcript.id)
        yield transcript, rows


def _write_outputs(
    out: Path,
    done: list[tuple[Transcript, list[dict]]],
    model: CodeSuggester,
    formats: list[str],
    per_transcript: bool,
    report: AnnotationReport,
) -> None:
    rows = [row for _, transcript_rows in done for row in transcript_rows]
    transcripts = [transcript for transcript, _ in done]
    report.suggestions = len(rows)
    written = [out / "summary.csv"]
    files.write_summary(written[0], rows, [(t.id, t.source) for t in transcripts], model.codes)
    if "jsonl" in formats:
        written.append(out / "suggestions.jsonl")
        files.write_jsonl(written[-1], rows)
    if "csv" in formats:
        written.append(out / "suggestions.csv")
        files.write_csv(written[-1], rows)
    groups = done if per_transcript else [(None, rows)]
    for transcript, group_rows in groups:
        chosen = [transcript] if transcript else transcripts
        stem = _safe_stem(transcript.id) if transcript else "draft"
        written.extend(_write_drafts(out, stem, chosen, group_rows, model, formats))
    skipped = out / "skipped.csv"
    if report.skipped:
        problems = [{"path": path, "problem": problem} for path, problem in report.skipped]
        files.write_table(skipped, ("path", "problem"), problems)
        written.append(skipped)
    else:
        skipped.unlink(missing_ok=True)
    report.outputs = written


def _write_drafts(
    out: Path,
    stem: str,
    transcripts: list[Transcript],
    rows: list[dict],
    model: CodeSuggester,
    formats: list[str],
) -> list[Path]:
    written = []
    if "qdpx" in formats:
        from dtors_nlp.refi.project import write_qdpx

        written.append(out / f"{stem}.qdpx")
        write_qdpx(written[-1], transcripts, rows, model.codebook_, model.name)
    if "html" in formats:
        from dtors_nlp.export.html import write_review_page

        written.append(out / f"{stem}.html")
        write_review_page(written[-1], transcripts, rows, model.codebook_, model.name)
    return written


def _safe_stem(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("._")
    return cleaned or "transcript"
