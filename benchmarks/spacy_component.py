"""Throughput of the ``dtors_codes`` spaCy component against ``dtors-nlp annotate``.

    python benchmarks/spacy_component.py                 # 4 interview-length transcripts
    python benchmarks/spacy_component.py --transcripts 8 --repeat 3

On the synthetic corpus of ``throughput.py`` (same generator, same seed), each run is a fresh
process with an empty embedding cache, timed end to end (start-up, reading, segmenting,
embedding, coding):

- ``annotate``: ``dtors-nlp --quiet annotate CORPUS --out DIR`` (jsonl and csv written);
- ``spacy to_doc``: ``nlp.pipe(dn.to_doc(t, nlp, process=False) for t in transcripts)`` with a
  blank English pipeline and the component (the transcripts' own passages);
- ``spacy text``: ``nlp.pipe(texts)`` on the files' plain texts (each read as a monologue).

The target is a spaCy throughput of at least 90% of annotate's: ``annotate seconds / spacy
seconds >= 0.9``. Each figure is the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPACY_RUN = """
import sys, spacy, dtors_nlp as dn
nlp = spacy.blank("en")
nlp.add_pipe("dtors_codes")
corpus = sys.argv[1]
if sys.argv[2] == "to_doc":
    docs = nlp.pipe(dn.to_doc(t, nlp, process=False) for t in dn.load_transcripts(corpus))
else:
    from pathlib import Path
    docs = nlp.pipe(p.read_text("utf-8") for p in sorted(Path(corpus).glob("*.txt")))
print(sum(len(doc.spans["dtors_codes"]) for doc in docs))
"""


def _throughput_module():
    spec = importlib.util.spec_from_file_location("throughput", HERE / "throughput.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["throughput"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def timed(args: list[str], cache: Path) -> float:
    """Seconds of one run of ``args`` with an empty embedding cache of its own."""
    env = {**os.environ, "DTORS_NLP_CACHE": str(cache)}
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(corpus: Path, work: Path, repeat: int) -> dict[str, float]:
    cli = [sys.executable, "-m", "dtors_nlp.cli", "--quiet", "annotate", str(corpus)]
    runs = {
        "annotate": lambda i: cli + ["--out", str(work / f"draft{i}")],
        "spacy to_doc": lambda i: [sys.executable, "-c", SPACY_RUN, str(corpus), "to_doc"],
        "spacy text": lambda i: [sys.executable, "-c", SPACY_RUN, str(corpus), "text"],
    }
    return {
        name: statistics.median(
            timed(command(i), work / f"cache-{name}-{i}".replace(" ", "-")) for i in range(repeat)
        )
        for name, command in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transcripts", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _throughput_module().generate_corpus(work / "corpus", options.transcripts)
        seconds = measure(work / "corpus", work, options.repeat)
    print(f"load average {os.getloadavg()[0]:.2f}; {options.transcripts} transcripts")
    for name, value in seconds.items():
        ratio = seconds["annotate"] / value
        print(f"{name:14} {value:7.1f} s   throughput {ratio:5.0%} of annotate's")


if __name__ == "__main__":
    main()
