"""Privacy: nothing leaves the machine, and what is kept on disk can be switched off or cleared."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dtors_nlp.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "transcripts"

OFFLINE = """
import os, socket, sys
os.environ.pop("HF_HUB_OFFLINE", None)
os.environ.pop("TRANSFORMERS_OFFLINE", None)
def refuse(*args, **kwargs):
    raise OSError("network use attempted")
network_socket = socket.socket.__init__
def local_only(self, family=-1, *args, **kwargs):
    if family in (-1, socket.AF_INET, socket.AF_INET6):
        refuse()
    network_socket(self, family, *args, **kwargs)
socket.socket.__init__ = local_only
socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
from dtors_nlp.cli import main
main(sys.argv[1:])
"""


def run_offline(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE, "--quiet", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_train_annotate_and_evaluate_work_with_the_network_blocked(tmp_path, starter_passages):
    data = tmp_path / "coded.csv"
    with data.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "codes", "transcript"])
        for p in starter_passages[::10]:
            writer.writerow([p.text, ";".join(sorted(p.codes)), p.transcript])
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}
    }
    env["DTORS_NLP_CACHE"] = str(tmp_path / "cache")
    model, draft, report = tmp_path / "m", tmp_path / "d", tmp_path / "r"
    run_offline(["train", str(data), "--out", str(model)], env)
    transcripts = [str(EXAMPLES / "p01-keyworker.txt"), str(EXAMPLES / "p07-recovery.docx")]
    annotate = ["annotate", *transcripts, "--out", str(draft), "--model", str(model)]
    run_offline([*annotate, "--format", "jsonl,html"], env)
    run_offline(
        ["evaluate", str(data), "--folds", "3", "--no-learning-curve", "--report", str(report)],
        env,
    )
    assert (draft / "suggestions.jsonl").stat().st_size > 0
    assert (report / "report.json").is_file()
    for page in (draft / "draft.html", report / "report.html"):  # nothing fetched when opened
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page.read_text("utf-8"))


def test_no_cache_keeps_no_vectors_and_cache_clear_removes_them(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("DTORS_NLP_CACHE", str(cache))
    transcript = EXAMPLES / "p02-methadone.txt"
    runner = CliRunner()
    result = runner.invoke(main, ["annotate", str(transcript), "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "2 file(s)" in runner.invoke(main, ["cache", "info"]).output  # vectors, sentences
    result = runner.invoke(main, ["cache", "clear"])
    assert f"removed 2 cache file(s) from {cache}" in result.output
    assert "0 file(s)" in runner.invoke(main, ["cache", "info"]).output

    result = runner.invoke(
        main, ["annotate", str(transcript), "--out", str(tmp_path / "b"), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert not cache.exists() or not list(cache.iterdir())
