"""Throughput, memory and start-up of ``dtors-nlp annotate`` on a synthetic corpus.

    python benchmarks/throughput.py --quick          # one small size, under a minute
    python benchmarks/throughput.py --sizes 8,32     # two sizes: is peak memory flat?
    python benchmarks/throughput.py --sizes 8 --fast # also the static (model2vec) fast mode
    python benchmarks/throughput.py --sizes 8 --accurate  # also all-mpnet-base-v2 (--accurate)
    python benchmarks/throughput.py --sizes 16,64,256 --cluster  # the scale of issue 13

The corpus is generated from a seed: N interview-length transcripts (about 9,000 words each,
``Interviewer:`` and ``Participant:`` turns, spoken-length sentences assembled from word lists so
that almost every sentence is unique and the embedding cache cannot hit by accident). On that
corpus, in one run, it measures:

- the raw encoder: sentence-transformers ``encode`` alone on the passages' texts (model loaded);
- cold ``dtors-nlp annotate`` end to end (load, segment, embed, classify, write) in a subprocess
  with an empty embedding cache (``DTORS_NLP_CACHE``), and its peak RSS;
- a warm re-run (``--force``: every transcript recoded, every vector from the cache);
- with ``--cluster``, a cold run on a ``distributed.LocalCluster`` of 2 single-threaded worker
  processes (started before the clock, as a cluster would be; the workers' model loading is
  timed), whether its ``suggestions.jsonl`` is byte-identical to the local run's, and the peak
  RSS of the client and of each worker;
- the wall time of ``dtors-nlp --help`` and of ``dtors-nlp inspect`` on one transcript.

Each timing is the median of ``--repeat`` runs; the machine's load average is printed beside the
figures, since other jobs on a 2-core machine move them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WORDS_PER_TRANSCRIPT = 9000
HERE = Path(__file__).resolve().parent
FAST_EMBEDDER = HERE.parent / "models" / "minilm-static"

# --- the synthetic corpus -----------------------------------------------------------------------

PEOPLE = (
    "my mum", "my dad", "my brother", "my sister", "my partner", "my ex", "my mate Dave",
    "my key worker", "the doctor", "the GP", "the nurse", "the pharmacist", "my probation officer",
    "the outreach team", "my nan", "my cousin", "my counsellor", "the lads I was using with",
    "the woman at the hostel", "my son", "my daughter", "the social worker", "my landlord",
    "the police", "my boss", "my sponsor", "the group leader", "the needle exchange staff",
)  # fmt: skip
DOINGS = (
    "kept telling me to get clean", "picked up my script", "never really trusted me",
    "gave me a second chance", "stopped answering my calls", "came to every appointment with me",
    "said I was wasting their time", "helped me sort out my benefits",
    "found me a bed for the night",
    "took the kids off me", "put me on a waiting list", "changed my methadone dose",
    "made me feel like a person again", "asked me the same questions over and over",
    "lent me money for the bus", "shouted at me in the waiting room", "got me into detox",
    "told me about the day programme", "just listened for once", "moved me onto buprenorphine",
    "checked my urine every week", "sent me a letter I never opened", "drove me to the clinic",
    "talked me out of leaving", "gave me the number for the helpline", "reduced me too fast",
)  # fmt: skip
FEELINGS = (
    "I felt ashamed", "I was absolutely rattling", "I was scared stiff", "I felt a bit lighter",
    "I was angry about it", "I couldn't stop crying", "I felt proper stupid", "I was relieved",
    "I didn't care anymore", "I felt like giving up", "I was buzzing", "I felt judged",
    "I was knackered", "I felt hopeful for the first time", "I was climbing the walls",
    "I felt safe", "I was numb", "I was on edge all the time", "I felt let down",
    "I was proud of myself", "I felt guilty about the kids", "I was paranoid",
)  # fmt: skip
TIMES = (
    "last winter", "a couple of years back", "when I was about fifteen", "after the funeral",
    "the first week", "every single morning", "around Christmas", "when I got out of prison",
    "before the baby came", "on a Friday night", "after I lost the flat", "during lockdown",
    "the day after my birthday", "when my benefits were stopped", "in the summer",
    "after my first relapse", "when I moved to the city", "that whole month", "at the start",
    "three weeks into the programme", "once the script was stable", "by the end of it",
)  # fmt: skip
PLACES = (
    "at the clinic", "in the hostel", "on the estate", "at my mum's", "in the cells",
    "down the park", "at the chemist", "in the day centre", "at the drop-in", "in rehab",
    "on the ward", "in the squat", "at work", "round my mate's", "outside the station",
    "in the waiting room", "at the meeting", "on the bus", "in my flat", "at the job centre",
)  # fmt: skip
SUBSTANCES = (
    "heroin", "crack", "methadone", "the gear", "benzos", "drink", "speed", "spice", "weed",
    "pills", "coke", "ketamine", "subutex", "valium", "street methadone", "cider",
)  # fmt: skip
ACTIONS = (
    "I started using again", "I went back on", "I cut down a bit", "I stopped completely",
    "I was injecting", "I was smoking it", "I was selling to pay for it", "I was topping up",
    "I tried to come off on my own", "I was using every day", "I kept a bit back",
    "I mixed it with", "I only used at weekends", "I was dabbling with", "I was hooked on",
    "I kept away from", "I was scoring", "I relapsed on", "I got through a week without",
)  # fmt: skip
REASONS = (
    "because I couldn't cope with the pain", "because everyone around me was doing it",
    "just to feel normal", "because I was bored out of my head", "to block things out",
    "because the waiting list was months long", "to stop the withdrawals",
    "because nobody would see me", "since I had nowhere else to go", "to keep the peace at home",
    "because I thought I could control it", "for the kids' sake", "to get my life back",
    "because the worker actually believed in me", "because I didn't want to end up dead",
    "since the script wasn't holding me", "because of the court order",
)  # fmt: skip
FILLERS = (
    "to be honest", "you know", "I mean", "like", "basically", "if I'm being truthful",
    "sort of", "I suppose", "to be fair", "obviously", "I don't know", "if that makes sense",
)  # fmt: skip
QUESTION_TEMPLATES = (
    "Can you tell me a bit more about {time}?",
    "How did you feel when {person} {doing}?",
    "What was it like {place}?",
    "And when did you first come across {substance}?",
    "What happened with {person} after that?",
    "Why do you think {action} {time}?",
    "How did {person} react when you told them about {substance}?",
    "Looking back, what would have helped {time}?",
    "Was there anything {place} that made a difference?",
    "So what changed for you {time}?",
)  # fmt: skip
ANSWER_TEMPLATES = (
    "{filler_cap}, {action} {substance} {time}.",
    "{time_cap}, {person} {doing}, and {feeling_lower}.",
    "{action} {substance} {reason}.",
    "{feeling} when {person} {doing} {place}.",
    "It was {place}, {time}, that {person} {doing}.",
    "{filler_cap}, {feeling_lower}, {filler} {reason}.",
    "I remember {person} {doing} {time}.",
    "{time_cap} {action} {substance}, {filler}, {reason}.",
    "And {place} {feeling_lower}, because {person} {doing}.",
    "Yeah.",
    "{filler_cap}, {person} {doing} but {feeling_lower} {time}.",
    "Then {action} {substance} {place} {reason}, and {person} {doing}.",
    "No, {feeling_lower}, {filler}.",
    "{feeling}, {filler}, and {time} {action} {substance} again.",
)  # fmt: skip


def _fill(template: str, rng: random.Random) -> str:
    """One sentence from a template, every slot drawn from its word list."""
    action, feeling = rng.choice(ACTIONS), rng.choice(FEELINGS)
    when, filler = rng.choice(TIMES), rng.choice(FILLERS)
    return template.format(
        person=rng.choice(PEOPLE),
        doing=rng.choice(DOINGS),
        feeling=feeling,
        feeling_lower=feeling[0].lower() + feeling[1:] if feeling[1] != " " else feeling,
        time=when,
        time_cap=when[0].upper() + when[1:],
        place=rng.choice(PLACES),
        substance=rng.choice(SUBSTANCES),
        action=action,
        reason=rng.choice(REASONS),
        filler=filler,
        filler_cap=filler[0].upper() + filler[1:],
    )


def make_transcript(rng: random.Random, words: int = WORDS_PER_TRANSCRIPT) -> str:
    """One interview: short questions, answers of 2 to 12 sentences, until ``words`` words."""
    lines, count = [], 0
    while count < words:
        question = " ".join(
            _fill(rng.choice(QUESTION_TEMPLATES), rng) for _ in range(rng.randint(1, 2))
        )
        answer = " ".join(
            _fill(rng.choice(ANSWER_TEMPLATES), rng) for _ in range(rng.randint(2, 12))
        )
        lines += [f"Interviewer: {question}", "", f"Participant: {answer}", ""]
        count += len(question.split()) + len(answer.split())
    return "\n".join(lines)


def generate_corpus(
    folder: Path, n: int, seed: int = 0, words: int = WORDS_PER_TRANSCRIPT
) -> list[Path]:
    """Write ``n`` transcripts ``int0001.txt``... into ``folder`` (same seed, same corpus)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for index in range(1, n + 1):
        path = folder / f"int{index:04d}.txt"
        path.write_text(make_transcript(rng, words), encoding="utf-8")
        paths.append(path)
    return paths


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Run:
    """One subprocess: wall seconds and peak resident memory in bytes."""

    seconds: float
    peak_rss: int


def run_command(args: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``args`` to completion, measuring its own peak RSS; fail loudly if it fails."""
    start = time.perf_counter()
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{stderr.decode(errors='replace')}")
    return Run(seconds, usage.ru_maxrss * 1024)


def median_run(runs: list[Run]) -> Run:
    """Median wall time and the largest peak RSS of ``runs``."""
    return Run(statistics.median(r.seconds for r in runs), max(r.peak_rss for r in runs))


def cli(*args: str | Path) -> list[str]:
    """The ``dtors-nlp`` command installed beside this Python (not a shim), with ``args``."""
    script = Path(sys.executable).with_name("dtors-nlp")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "dtors_nlp.cli"]
    return command + [str(arg) for arg in args]


def passage_texts(corpus: Path) -> tuple[list[str], list[str], int]:
    """The passages' texts (what the model embeds), the distinct questions they have as context
    (which a model that reads context embeds too) and the number of sentences in the corpus."""
    import dtors_nlp as dn

    texts, questions, sentences = [], {}, 0
    for transcript in dn.load_transcripts(corpus):
        texts.extend(p.text for p in transcript.passages)
        questions.update((p.context, None) for p in transcript.passages if p.context.strip())
        sentences += len(transcript.sentences)
    return texts, list(questions), sentences


def encoder(mode: str) -> Callable[[list[str]], object]:
    """The bare encoding call of the mode's sentence model: MiniLM or all-mpnet-base-v2
    (sentence-transformers), or the static model (model2vec)."""
    if mode == "fast":
        from model2vec import StaticModel

        static = StaticModel.from_pretrained(FAST_EMBEDDER, force_download=False)
        return lambda texts: static.encode(texts, use_multiprocessing=False)
    from dtors_nlp.accurate_model import accurate_model_path
    from dtors_nlp.embed import default_model_path, load_sentence_model

    folder = accurate_model_path() if mode == "accurate" else default_model_path()
    model = load_sentence_model(folder)
    return lambda texts: model.encode(
        texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False
    )


def raw_encoder_seconds(texts: list[str], mode: str, repeat: int) -> float:
    """Median seconds of the encoder alone on ``texts``, model loaded and warmed up first."""
    encode = encoder(mode)
    encode(texts[:64])
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        encode(texts)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def annotate_runs(corpus: Path, work: Path, repeat: int, mode: str) -> tuple[Run, Run]:
    """Median cold run (empty cache) and warm re-run (``--force``, full cache) of annotate.

    The first run's draft stays in ``work/out0`` for the cluster run to be compared with."""
    extra = mode_flags(mode)
    cold, warm = [], []
    for attempt in range(repeat):
        cache, out = work / f"cache{attempt}", work / f"out{attempt}"
        env = {**os.environ, "DTORS_NLP_CACHE": str(cache)}
        cold.append(run_command(cli("--quiet", "annotate", corpus, "--out", out, *extra), env))
        args = cli("--quiet", "annotate", corpus, "--out", out, "--force", *extra)
        warm.append(run_command(args, env))
        shutil.rmtree(cache)
        if attempt:
            shutil.rmtree(out)
    return median_run(cold), median_run(warm)


@dataclass
class ClusterRun:
    """A cold annotate on a 2-worker LocalCluster: seconds, peak RSS of client and workers."""

    seconds: float
    client_rss: int
    worker_rss: list[int]
    identical: bool


def cluster_run(corpus: Path, work: Path, mode: str) -> ClusterRun:
    """A cold cluster run in a child process (see ``cluster_only``), compared with ``out0``."""
    out = work / "out-cluster"
    env = {**os.environ, "DTORS_NLP_CACHE": str(work / "cache-cluster")}
    args = [sys.executable, __file__, "--cluster-only", str(corpus), "--out", str(out)]
    child = subprocess.run(
        args + ["--mode", mode], capture_output=True, check=True, text=True, env=env
    )
    figures = json.loads(child.stdout)
    local = (work / "out0" / "suggestions.jsonl").read_bytes()
    identical = (out / "suggestions.jsonl").read_bytes() == local
    for folder in (out, work / "out0", work / "cache-cluster"):
        shutil.rmtree(folder)
    return ClusterRun(identical=identical, **figures)


def cluster_only(corpus: Path, out: Path, mode: str) -> None:
    """The child's side of ``cluster_run``: start the cluster, time one run, print JSON."""
    from distributed import Client, LocalCluster

    from dtors_nlp.annotate import annotate
    from dtors_nlp.persist import load_model

    model = load_model(mode=mode)
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        start = time.perf_counter()
        annotate([corpus], out, model, client=client)
        seconds = time.perf_counter() - start
        workers = sorted(client.run(peak_rss).values())
    print(json.dumps({"seconds": seconds, "client_rss": peak_rss(), "worker_rss": workers}))


def peak_rss() -> int:
    """This process's peak resident memory in bytes (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class SizeResult:
    """The figures of one mode on one corpus size."""

    transcripts: int
    passages: int
    sentences: int
    raw: float
    questions: int  # distinct questions the passages have as context
    raw_with_questions: float  # the encoder on the passages and those questions
    cold: Run
    warm: Run
    cluster: ClusterRun | None


def measure_size(
    corpus: Path, work: Path, repeat: int, mode: str, cluster: bool = False
) -> SizeResult:
    """Raw encoder and annotate figures on ``corpus``.

    The encoder runs in a child process too: a child's peak RSS starts from its parent's at
    fork, so this process must stay small for the annotate figures to be its own.
    """
    args = [sys.executable, __file__, "--encode-only", str(corpus), "--repeat", str(repeat)]
    encoded = json.loads(
        subprocess.run(args + ["--mode", mode], capture_output=True, check=True, text=True).stdout
    )
    cold, warm = annotate_runs(corpus, work, repeat, mode)
    distributed = cluster_run(corpus, work, mode) if cluster else None
    if not cluster:
        shutil.rmtree(work / "out0")
    n = len(list(corpus.glob("*.txt")))
    figures = [encoded[key] for key in ("passages", "sentences", "seconds", "questions")]
    return SizeResult(n, *figures, encoded["with_questions"], cold, warm, distributed)


def encode_only(corpus: Path, repeat: int, mode: str) -> None:
    """The child's side of ``measure_size``: print the raw encoder's figures as JSON."""
    texts, questions, sentences = passage_texts(corpus)
    seconds = raw_encoder_seconds(texts, mode, repeat)
    with_questions = seconds + raw_encoder_seconds(questions, mode, repeat)
    figures = {"passages": len(texts), "questions": len(questions), "sentences": sentences}
    print(json.dumps(figures | {"seconds": seconds, "with_questions": with_questions}))


def startup_seconds(corpus_file: Path, repeat: int) -> tuple[float, float]:
    """Median wall seconds of ``dtors-nlp --help`` and ``dtors-nlp inspect FILE``."""
    help_run = median_run([run_command(cli("--help")) for _ in range(max(repeat, 5))])
    inspect_run = median_run([run_command(cli("inspect", corpus_file)) for _ in range(repeat)])
    return help_run.seconds, inspect_run.seconds


# --- reporting ----------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def print_header(title: str) -> None:
    print(f"\n{title}")
    print(
        f"{'N':>4} {'passages':>8} {'sentences':>9} {'raw/s':>8} {'cold s':>7} {'cold/s':>8} "
        f"{'e2e/raw':>7} {'warm s':>7} {'cold/warm':>9} {'peak RSS':>9}  load",
        flush=True,
    )


def print_row(r: SizeResult) -> None:
    print(
        f"{r.transcripts:>4} {r.passages:>8} {r.sentences:>9} {r.passages / r.raw:>8.0f} "
        f"{r.cold.seconds:>7.1f} {r.passages / r.cold.seconds:>8.0f} "
        f"{r.raw / r.cold.seconds:>7.0%} {r.warm.seconds:>7.2f} "
        f"{r.cold.seconds / r.warm.seconds:>8.1f}x {r.cold.peak_rss / 1e9:>7.2f}GB  "
        f"{load_average()}",
        flush=True,
    )
    if r.questions:
        print(
            f"{'':>4} raw encoder on the passages and their {r.questions} distinct questions "
            f"(context): {r.raw_with_questions:.1f} s; end to end "
            f"{r.raw_with_questions / r.cold.seconds:.0%} of that",
            flush=True,
        )
    if r.cluster:
        c = r.cluster
        print(
            f"{'':>4} 2-worker LocalCluster: {c.seconds:.1f} s, {r.passages / c.seconds:.0f}/s "
            f"({r.cold.seconds / c.seconds:.0%} of local), outputs "
            f"{'identical' if c.identical else 'DIFFERENT'}; peak RSS client "
            f"{c.client_rss / 1e9:.2f} GB, workers "
            + ", ".join(f"{rss / 1e9:.2f}" for rss in c.worker_rss)
            + " GB",
            flush=True,
        )


def mode_flags(mode: str) -> list[str]:
    """The ``annotate`` flags of a mode: none for MiniLM, ``--fast`` or ``--accurate``."""
    return [] if mode == "default" else [f"--{mode}"]


def measure_mode(
    title: str, corpora: list[Path], work: Path, repeat: int, mode: str, cluster: bool = False
):
    """Every size in one mode, each row printed as soon as it is measured."""
    print_header(title)
    results = []
    for corpus in corpora:
        results.append(measure_size(corpus, work, repeat, mode, cluster))
        print_row(results[-1])
    return results


def check(name: str, value: float, target: float, at_least: bool) -> None:
    met = value >= target if at_least else value <= target
    sense = ">=" if at_least else "<="
    print(f"  {name:<34} {value:>8.2f}  target {sense} {target:<5}  {'met' if met else 'NOT met'}")


def print_targets(results: list[SizeResult], fast: list[SizeResult], help_s: float) -> None:
    largest = results[-1]
    peaks = [r.cold.peak_rss / 1e9 for r in results]
    print(f"\ntargets (ratios at the largest size, N={largest.transcripts}):")
    check("end-to-end / raw encoder", largest.raw / largest.cold.seconds, 0.85, True)
    check("warm re-run speed-up (x)", largest.cold.seconds / largest.warm.seconds, 20.0, True)
    check("peak RSS, any size (GB)", max(peaks), 1.5, False)
    if len(results) > 1:
        check(
            f"peak RSS N={results[-1].transcripts} / N={results[0].transcripts}",
            peaks[-1] / peaks[0],
            1.1,
            False,
        )
    check("dtors-nlp --help (s)", help_s, 1.0, False)
    if largest.cluster:
        local_rate = largest.cold.seconds / largest.cluster.seconds
        check("2-worker LocalCluster / local", local_rate, 0.85, True)
        check("cluster outputs identical (1 = yes)", float(largest.cluster.identical), 1.0, True)
    if fast:
        check("fast / MiniLM, raw encoder (x)", largest.raw / fast[-1].raw, 20.0, True)
        check(
            "fast / MiniLM, end to end (x)",
            largest.cold.seconds / fast[-1].cold.seconds,
            20.0,
            True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2,8", help="transcript counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--quick", action="store_true", help="one transcript, one run of each")
    parser.add_argument("--fast", action="store_true", help="also the static-embedding fast mode")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cluster", action="store_true", help="also a 2-worker LocalCluster")
    parser.add_argument(
        "--fast-only", action="store_true", help="only the fast mode (minutes, not hours, at N=256)"
    )
    parser.add_argument("--accurate", action="store_true", help="also all-mpnet-base-v2")
    parser.add_argument("--mode", default="default", help=argparse.SUPPRESS)
    parser.add_argument("--encode-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cluster-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.encode_only:
        encode_only(args.encode_only, args.repeat, args.mode)
        return
    if args.cluster_only:
        cluster_only(args.cluster_only, args.out, args.mode)
        return
    sizes = [1] if args.quick else sorted(int(s) for s in args.sizes.split(","))
    repeat = 1 if args.quick else args.repeat
    print(f"{os.cpu_count()} cores; load average at start {load_average()}")
    with tempfile.TemporaryDirectory(prefix="dtors-throughput-") as folder:
        work = Path(folder)
        corpora = [work / f"corpus-{n}" for n in sizes]
        for n, corpus in zip(sizes, corpora):
            generate_corpus(corpus, n, args.seed)
        minilm = "MiniLM (throughput in passages/s; a passage is 1-3 participant sentences)"
        results = (
            []
            if args.fast_only
            else measure_mode(minilm, corpora, work, repeat, "default", cluster=args.cluster)
        )
        static = "fast mode: annotate --fast, static embeddings (models/minilm-static)"
        fast = (
            measure_mode(static, corpora, work, repeat, "fast", cluster=args.cluster)
            if args.fast or args.fast_only
            else []
        )
        if args.accurate:
            mpnet = "accurate mode: annotate --accurate, all-mpnet-base-v2"
            measure_mode(mpnet, corpora, work, repeat, "accurate", cluster=args.cluster)
        help_s, inspect_s = startup_seconds(corpora[0] / "int0001.txt", repeat)
    print(f"\ndtors-nlp --help {help_s:.2f} s; dtors-nlp inspect FILE {inspect_s:.2f} s")
    print(f"load average at end {load_average()}")
    print_targets(results or fast, fast if results else [], help_s)


if __name__ == "__main__":
    main()
