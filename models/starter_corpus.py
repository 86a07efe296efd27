"""The starter corpus: interviews written by the dtors-nlp team, their coding, and the starter
training set built from them.

    python models/starter_corpus.py worksheet FILE... --out SHEET.csv   # passages to code
    python models/starter_corpus.py check CODING.csv...                 # a coding file is sound
    python models/starter_corpus.py agreement   # first vs second pass, by `dtors-nlp agree`
    python models/starter_corpus.py build       # the training set and the coding as .qdpx

The interviews in ``starter-corpus/interviews/`` are invented and illustrative (England,
2007-2009), not DTORS data. Coders code the passages the library's own loader and segmenter
make of each file, so the training set holds exactly the text, context and speaker that a
user's pipeline sees. A coding file has one row per passage: ``transcript``, ``passage`` (its
index in ``Transcript.passages``), ``text`` and ``codes`` (``;``-separated, empty for none).
``coding/first`` is the writers' coding, ``coding/second`` a blind second coding of some
interviews, ``coding/reconciled`` the first pass after the two were reconciled (where present
it wins over ``first``).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable
from pathlib import Path

import dtors_nlp as dn
from dtors_nlp.intercoder import write_report
from dtors_nlp.refi.project import write_coded_qdpx

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "starter-corpus"
INTERVIEWS = CORPUS / "interviews"
CODING = CORPUS / "coding"
AGREEMENT = CORPUS / "agreement"
TRAINING_CSV = HERE / "dtors-starter" / "training-data" / "interviews.csv"
PROJECT = CORPUS / "coding.qdpx"
SHEET_FIELDS = ["transcript", "passage", "speaker", "context", "text", "codes"]
TRAINING_FIELDS = ["text", "codes", "transcript", "speaker", "context"]
CODER = "starter corpus coders (first coding, reconciled with a blind second coding)"


def transcripts(paths: Iterable[Path]) -> dict[str, dn.Transcript]:
    """The transcripts of the files, by id, read as ``dtors-nlp annotate`` reads them."""
    return {t.id: t for t in dn.load_transcripts([str(p) for p in paths])}


def corpus_transcripts() -> dict[str, dn.Transcript]:
    return transcripts(sorted(INTERVIEWS.iterdir()))


def worksheet(files: list[Path], out: Path) -> None:
    rows = [
        {
            "transcript": t.id,
            "passage": index,
            "speaker": passage.speaker,
            "context": passage.context,
            "text": passage.text,
            "codes": "",
        }
        for t in transcripts(files).values()
        for index, passage in enumerate(t.passages)
    ]
    write_rows(out, SHEET_FIELDS, rows)
    print(f"wrote {out}: {len(rows)} passages")


def write_rows(path: Path, fields: list[str], rows: Iterable[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def read_coding(
    path: Path, known: dict[str, dn.Transcript], codebook: dn.Codebook
) -> dict[tuple[str, int], frozenset[str]]:
    """(transcript, passage index) -> codes; every problem raises with file and row."""
    coding = {}
    with path.open(encoding="utf-8", newline="") as file:
        for number, row in enumerate(csv.DictReader(file), start=2):
            where = f"{path}, row {number}"
            transcript = known.get(row["transcript"])
            if transcript is None:
                raise SystemExit(f"{where}: no interview {row['transcript']!r}")
            index = int(row["passage"])
            if not 0 <= index < len(transcript.passages):
                raise SystemExit(f"{where}: {transcript.id} has no passage {index}")
            if "text" in row and _words(row["text"]) != _words(transcript.passages[index].text):
                raise SystemExit(f"{where}: text differs from passage {index}; redo the sheet")
            codes = frozenset(c.strip() for c in (row["codes"] or "").split(";") if c.strip())
            _check_codes(codes, codebook, where)
            coding[(transcript.id, index)] = codes
    return coding


def _words(text: str) -> str:
    return " ".join(text.split())


def _check_codes(codes: frozenset[str], codebook: dn.Codebook, where: str) -> None:
    for code in codes:
        if code not in codebook.codes:
            hint = codebook.closest(code)
            advice = f" (did you mean {hint}?)" if hint else ""
            raise SystemExit(f"{where}: unknown code {code!r}{advice}")
    for dimension in codebook.dimensions:
        taken = [c for c in codes if c.split("/")[0] == dimension.name]
        if not dimension.multi_label and len(taken) > 1:
            raise SystemExit(f"{where}: {dimension.name} takes one code, not {sorted(taken)}")


def read_pass(name: str, known: dict[str, dn.Transcript], codebook: dn.Codebook) -> dict:
    coding = {}
    for path in sorted((CODING / name).glob("*.csv")):
        coding |= read_coding(path, known, codebook)
    return coding


def check(paths: list[Path]) -> None:
    known, codebook = corpus_transcripts(), dn.load_codebook()
    for path in paths:
        coding = read_coding(path, known, codebook)
        ids = {key[0] for key in coding}
        missing = [
            f"{t}:{i}" for t in ids for i in range(len(known[t].passages)) if (t, i) not in coding
        ]
        coded = sum(bool(codes) for codes in coding.values())
        print(f"{path}: {len(coding)} passages, {coded} coded", end="")
        print(f"; MISSING {len(missing)}: {' '.join(missing[:10])}" if missing else "; complete")


def final_coding(known: dict[str, dn.Transcript], codebook: dn.Codebook) -> dict:
    """The reconciled coding where there is one, else the first, for every passage."""
    coding = read_pass("first", known, codebook)
    coding |= read_pass("reconciled", known, codebook)
    missing = [
        f"{t.id}:{i}"
        for t in known.values()
        for i in range(len(t.passages))
        if (t.id, i) not in coding
    ]
    if missing:
        raise SystemExit(f"{len(missing)} passages are not coded: {' '.join(missing[:10])}")
    return coding


def training_rows(known: dict[str, dn.Transcript], coding: dict) -> list[dict]:
    """The training set's rows: every passage of every interview, with its final codes."""
    return [
        {
            "text": passage.text,
            "codes": ";".join(sorted(coding[t.id, index])),
            "transcript": t.id,
            "speaker": passage.speaker,
            "context": passage.context,
        }
        for t in known.values()
        for index, passage in enumerate(t.passages)
    ]


def build(training_csv: Path = TRAINING_CSV, project: Path = PROJECT) -> None:
    """The starter training set and the coding as a REFI-QDA project, from the final coding."""
    known, codebook = corpus_transcripts(), dn.load_codebook()
    coding = final_coding(known, codebook)
    rows = training_rows(known, coding)
    write_rows(training_csv, TRAINING_FIELDS, rows)
    spans = [
        (t.id, passage.start, passage.end, code)
        for t in known.values()
        for index, passage in enumerate(t.passages)
        for code in sorted(coding[t.id, index])
    ]
    description = "Interviews written by the dtors-nlp team (illustrative, not DTORS data)."
    write_coded_qdpx(project, known.values(), spans, codebook, CODER, description)
    coded = sum(bool(row["codes"]) for row in rows)
    print(f"wrote {training_csv}: {len(rows)} passages of {len(known)} interviews, {coded} coded")
    print(f"wrote {project}")


def agreement() -> None:
    """Agreement between the first and the blind second coding, by ``dtors-nlp agree``."""
    known, codebook = corpus_transcripts(), dn.load_codebook()
    second = read_pass("second", known, codebook)
    first = read_pass("first", known, codebook)
    shared = sorted(second.keys() & first.keys())
    for name, coding in (("first", first), ("second", second)):
        rows = [
            {
                "text": known[t].passages[i].text,
                "codes": ";".join(sorted(coding[t, i])),
                "transcript": t,
            }
            for t, i in shared
        ]
        write_rows(AGREEMENT / f"{name}-coder.csv", ["text", "codes", "transcript"], rows)
    result = dn.agreement(AGREEMENT / "first-coder.csv", AGREEMENT / "second-coder.csv", codebook)
    write_report(result, AGREEMENT, force=True)
    print(f"{len(result.units)} passages of {len({t for t, _ in shared})} interviews coded twice")
    print("| code | first coder | second coder | both | agreement % | kappa | alpha |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for code, f in result.codes.items():
        figures = f"{f['percent_agreement']:.1f} | {f['kappa']:.2f} | {f['alpha']:.2f}"
        print(f"| `{code}` | {f['coder_a']} | {f['coder_b']} | {f['both']} | {figures} |")
    overall = result.overall
    print(f"overall: kappa {overall['kappa']:.2f}, alpha {overall['alpha']:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sheet = commands.add_parser("worksheet", help="one row per passage, codes empty")
    sheet.add_argument("files", nargs="+", type=Path)
    sheet.add_argument("--out", type=Path, required=True)
    checking = commands.add_parser("check", help="check coding files")
    checking.add_argument("files", nargs="+", type=Path)
    commands.add_parser("agreement", help="first vs blind second coding")
    commands.add_parser("build", help="the training set and the .qdpx from the final coding")
    args = parser.parse_args(argv)
    if args.command == "worksheet":
        worksheet(args.files, args.out)
    elif args.command == "check":
        check(args.files)
    elif args.command == "agreement":
        agreement()
    else:
        build()


if __name__ == "__main__":
    main(sys.argv[1:])
