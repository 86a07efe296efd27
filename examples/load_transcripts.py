"""Load the example transcripts through the Python API and show what was read.

Run from the repository root: ``python examples/load_transcripts.py``.
"""

from pathlib import Path

import dtors_nlp as dn

FOLDER = Path(__file__).parent / "transcripts"

for transcript in dn.load_transcripts(FOLDER):
    print(f"\n== {transcript.id} ({transcript.source})")
    for key, value in transcript.metadata.items():
        print(f"   {key}: {value}")
    speakers = ", ".join(f"{speaker} ({role})" for speaker, role in transcript.speakers.items())
    print(f"   speakers: {speakers}")
    print(f"   {len(transcript.turns)} turns, {len(transcript.passages)} passages")
    first = transcript.passages[0]
    print(f"   first passage [{first.start}:{first.end}] {first.speaker}: {first.text[:70]}...")
    print(f"      in answer to: {first.context[:70]}")
