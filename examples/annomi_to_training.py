"""Turn AnnoMI's client utterances into a dtors-nlp training CSV.

    python examples/annomi_to_training.py /work/shared/data/annomi/AnnoMI-simple.csv \
        --out /tmp/annomi-train.csv

One row per client utterance: ``codes`` is ``talk/change``, ``talk/sustain`` or empty (neutral),
``transcript`` the AnnoMI transcript id (so cross-validation keeps each conversation whole) and
``context`` the therapist's utterance before it. Use with ``examples/annomi-codebook.yaml``.
AnnoMI is for evaluation only: keep the CSV out of the repository.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

CODES = {"change": "talk/change", "sustain": "talk/sustain", "neutral": ""}


def training_rows(source: Path) -> list[dict[str, str]]:
    """Client utterances with their code and the therapist's preceding utterance."""
    rows, context, transcript = [], "", None
    with source.open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            if row["transcript_id"] != transcript:
                transcript, context = row["transcript_id"], ""
            if row["interlocutor"] == "therapist":
                context = row["utterance_text"].strip()
            elif row["utterance_text"].strip():
                rows.append(
                    {
                        "text": row["utterance_text"].strip(),
                        "codes": CODES[row["client_talk_type"]],
                        "transcript": f"annomi-{transcript}",
                        "speaker": "client",
                        "context": context,
                    }
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="AnnoMI-simple.csv")
    parser.add_argument("--out", type=Path, required=True, help="training CSV to write")
    args = parser.parse_args()
    rows = training_rows(args.source)
    with args.out.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}: {len(rows)} client utterances")


if __name__ == "__main__":
    main()
