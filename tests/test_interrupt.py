"""Nothing lost: Ctrl-C or a kill during a real run leaves no partial output, and a re-run resumes.

The runs are real ``dtors-nlp`` processes interrupted with SIGINT or SIGTERM. For ``annotate``
the wrapper below codes one file per batch (instead of 500 KB of files), so that the
part files in OUT/.parts/ appear one by one and the test can interrupt between them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import dtors_nlp as dn
from dtors_nlp import files, persist
from dtors_nlp.cli import main

ANNOTATE_ONE_AT_A_TIME = """
import sys
import dtors_nlp.annotate
dtors_nlp.annotate.BYTES_PER_BATCH = 1
from dtors_nlp.cli import main
main(sys.argv[1:])
"""
SIGNALS = [signal.SIGINT, signal.SIGTERM]
TRANSCRIPTS = 12


def write_transcripts(folder: Path, passages) -> Path:
    """A dozen interviews, each with eight different answers from the starter set."""
    folder.mkdir()
    answers = iter(passages)
    for number in range(TRANSCRIPTS):
        turns = [
            f"Interviewer: And then what happened?\nParticipant: {next(answers).text}\n"
            for _ in range(8)
        ]
        (folder / f"int{number:02}.txt").write_text("\n".join(turns), "utf-8")
    return folder


def fingerprints(folder: Path) -> dict[str, str]:
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    """Temporary files and staging folders anywhere under ``folder``."""
    found = []
    for _, dirs, names in os.walk(folder):
        found += [name for name in names if name.endswith(".part")]
        found += [name for name in dirs if name.startswith(".") and name != ".parts"]
    return found


def start(args: list[str], tmp_path: Path, script: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "DTORS_NLP_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-c", script] if script else [sys.executable, "-m", "dtors_nlp.cli"]
    with (tmp_path / "stderr.txt").open("wb") as stderr:
        return subprocess.Popen(
            [*command, "--quiet", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=_default_sigint,
        )


def _default_sigint() -> None:
    """Ctrl-C's default action in the child, as at a terminal: a suite started in the background
    (``pytest &``) ignores SIGINT, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_when(process: subprocess.Popen, ready, signum: int, tmp_path: Path) -> str:
    """Send ``signum`` once ``ready()`` holds; the run's stderr once it has stopped."""
    deadline = time.monotonic() + 300
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the run ended before it could be interrupted: " + stderr_of(tmp_path))
        time.sleep(0.02)
    process.send_signal(signum)
    assert process.wait(timeout=120) == 130, stderr_of(tmp_path)
    return stderr_of(tmp_path)


def stderr_of(tmp_path: Path) -> str:
    return (tmp_path / "stderr.txt").read_text("utf-8", errors="replace")


@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_annotate_leaves_no_output_and_a_rerun_resumes(
    tmp_path, monkeypatch, starter_passages, signum
):
    inputs = write_transcripts(tmp_path / "in", starter_passages[::7])
    before = fingerprints(inputs)
    out = tmp_path / "out"
    parts = out / ".parts"
    process = start(["annotate", str(inputs), "--out", str(out)], tmp_path, ANNOTATE_ONE_AT_A_TIME)
    stderr = interrupt_when(process, lambda: any(parts.glob("*.jsonl")), signum, tmp_path)

    assert "interrupted; nothing partial was written" in stderr
    finished = len(list(parts.glob("*.jsonl")))
    assert 1 <= finished < TRANSCRIPTS
    assert not [name for name in os.listdir(out) if not name.startswith(".")]  # no outputs
    assert leftovers(out) == []
    assert fingerprints(inputs) == before

    monkeypatch.setenv("DTORS_NLP_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(main, ["annotate", str(inputs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{TRANSCRIPTS - finished} transcripts coded, {finished} reused" in result.stderr
    assert leftovers(out) == [] and fingerprints(inputs) == before

    fresh = tmp_path / "uninterrupted"
    assert CliRunner().invoke(main, ["annotate", str(inputs), "--out", str(fresh)]).exit_code == 0
    for name in ("suggestions.jsonl", "suggestions.csv", "summary.csv"):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name
    rows = [json.loads(line) for line in (out / "suggestions.jsonl").open(encoding="utf-8")]
    texts = {t.id: t.text for t in dn.load_transcripts(inputs)}
    assert rows and all(texts[r["transcript"]][r["start"] : r["end"]] == r["text"] for r in rows)
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as stream:
        assert {row["transcript"] for row in csv.DictReader(stream)} == set(texts)


def cache_size(tmp_path: Path) -> int:
    return sum(file.stat().st_size for file in (tmp_path / "cache").glob("embeddings-*"))


@pytest.mark.parametrize(
    ("signum", "cached_bytes"),
    [(signal.SIGINT, 0), (signal.SIGTERM, 50_000)],
    ids=["SIGINT as embedding starts", "SIGTERM while fitting"],  # vectors are cached once embedded
)
def test_interrupted_train_leaves_no_model_folder(tmp_path, starter_passages, signum, cached_bytes):
    data = tmp_path / "coded.csv"
    with data.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "codes", "transcript"])
        for p in starter_passages[::15]:
            writer.writerow([p.text, ";".join(sorted(p.codes)), p.transcript])
    before = hashlib.sha256(data.read_bytes()).hexdigest()
    models = tmp_path / "models"
    models.mkdir()
    process = start(["train", str(data), "--out", str(models / "m")], tmp_path)
    stderr = interrupt_when(process, lambda: cache_size(tmp_path) > cached_bytes, signum, tmp_path)
    assert "interrupted; nothing partial was written" in stderr
    assert os.listdir(models) == []  # neither the model folder nor a staging folder
    assert hashlib.sha256(data.read_bytes()).hexdigest() == before


def test_an_interrupt_while_a_model_is_written_leaves_no_staging_folder(tmp_path, monkeypatch):
    model = dn.load_model()
    write_files = persist._write_files

    def write_then_interrupt(model, folder: Path) -> None:
        write_files(model, folder)
        raise KeyboardInterrupt

    monkeypatch.setattr(persist, "_write_files", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        persist.save_model(model, tmp_path / "m")
    assert os.listdir(tmp_path) == []

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.json").write_text("{}", "utf-8")
    with pytest.raises(KeyboardInterrupt):
        persist.save_model(model, tmp_path / "m", force=True)
    assert os.listdir(tmp_path) == ["m"] and os.listdir(tmp_path / "m") == ["model.json"]


def test_an_interrupt_as_a_model_replaces_another_keeps_the_old_one(tmp_path, monkeypatch):
    model = dn.load_model()
    persist.save_model(model, tmp_path / "m")
    before = fingerprints(tmp_path / "m")

    staged = []
    real_rename = Path.rename

    def rename(self, target):
        if Path(target) == tmp_path / "m":
            staged.append(self)
            raise KeyboardInterrupt
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        persist.save_model(model, tmp_path / "m", force=True)
    assert staged and os.listdir(tmp_path) == ["m"] and fingerprints(tmp_path / "m") == before


def test_write_atomically_leaves_nothing_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "suggestions.jsonl"
    target.write_text("old", "utf-8")

    def interrupted(descriptor: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomically(target, "new")
    assert os.listdir(tmp_path) == ["suggestions.jsonl"] and target.read_text("utf-8") == "old"


def test_tables_written_together_are_all_renamed_or_none(tmp_path):
    paths = [tmp_path / "suggestions.jsonl", tmp_path / "suggestions.csv"]
    for path in paths:
        path.write_text("old", "utf-8")
    with pytest.raises(KeyboardInterrupt), files.atomic_streams(paths) as streams:
        for stream in streams:
            stream.write(b"new")
        raise KeyboardInterrupt
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in paths)
    assert all(path.read_text("utf-8") == "old" for path in paths)
    with files.atomic_streams(paths) as streams:
        for stream in streams:
            stream.write(b"new")
    assert all(path.read_text("utf-8") == "new" for path in paths)
