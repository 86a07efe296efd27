"""The HTML review page: one self-contained file in which a coder accepts, rejects or changes
suggested codes and saves the decisions as a review CSV.

The page is the template ``review_page.html`` (inline CSS and JavaScript, nothing fetched from the
network) with the draft embedded as JSON. Transcript text is untrusted: the JSON is escaped so that
it cannot close its ``<script>`` block, and the page builds its elements with ``textContent``.
Decisions are kept in the browser's localStorage under the draft's ``draft`` hash, so a coder who
reloads the page (the same file, or the same draft rewritten) finds them again.

The review CSV the page saves (UTF-8 with a BOM, RFC 4180 quoting, CRLF line ends) has the header
``transcript,source,passage,start,end,speaker,text,code,confidence,band,decision,new_code,coder,note``
and one row per *decided* suggestion, in the draft's order: ``decision`` is ``accept``, ``reject``
or ``change``; ``new_code`` is filled only for ``change``; ``coder`` and ``note`` may be empty.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Sequence
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from dtors_nlp.errors import OutputError
from dtors_nlp.files import write_atomically

if TYPE_CHECKING:
    from dtors_nlp.codebook import Codebook
    from dtors_nlp.suggestion import Suggestion
    from dtors_nlp.transcripts.spans import Transcript

TEMPLATE = "review_page.html"
PAGE_FIELDS = (  # a suggestion's fields the page uses (it names the model once)
    *("transcript", "source", "speaker", "text", "code", "passage", "start", "end"),
    *("confidence", "band", "exemplars"),
)
PLACEHOLDER = re.compile(r"\{\{(TITLE|DATA)\}\}")


def write_review_page(
    path: str | PathLike[str],
    transcripts: Sequence[Transcript],
    suggestions: Sequence[Suggestion],
    codebook: Codebook,
    model_name: str,
) -> None:
    """Write the review page for ``suggestions`` of ``transcripts`` to ``path``."""
    path = Path(path)
    data = page_data(transcripts, suggestions, codebook, model_name, path)
    title = f"Review suggested codes: {_title_subject(transcripts)}"
    write_atomically(path, render(title, data))


def page_data(
    transcripts: Sequence[Transcript],
    suggestions: Sequence[Suggestion],
    codebook: Codebook,
    model_name: str,
    path: Path | None = None,
) -> dict:
    """Everything the page shows, as plain data; ``draft`` keys the decisions the browser keeps."""
    known = {transcript.id for transcript in transcripts}
    if len(known) < len(transcripts):
        raise OutputError("two transcripts have the same id", path)
    for suggestion in suggestions:
        if suggestion.transcript not in known:
            problem = f"suggestion for unknown transcript {suggestion.transcript!r}"
            raise OutputError(problem, path)
    data = {
        "model": model_name,
        "codebook": _codebook_data(codebook),
        "transcripts": [_transcript_data(transcript) for transcript in transcripts],
        "suggestions": [_suggestion_data(suggestion) for suggestion in suggestions],
    }
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()
    return {"draft": digest[:16], **data}


def render(title: str, data: dict) -> str:
    """The template with the title and the embedded data filled in (in one pass)."""
    template = resources.files("dtors_nlp.export").joinpath(TEMPLATE).read_text("utf-8")
    values = {"TITLE": html.escape(title), "DATA": embed_json(data)}
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def embed_json(data: object) -> str:
    """JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where their ``\\u`` escapes mean the
    same, so no ``</script>`` or ``<!--`` in a transcript can end the block early.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _codebook_data(codebook: Codebook) -> dict:
    return {
        "name": codebook.name,
        "version": codebook.version,
        "dimensions": [
            {
                "name": dimension.name,
                "label": dimension.label,
                "description": dimension.description,
                "codes": [
                    {
                        "code": f"{dimension.name}/{code.name}",
                        "name": code.name,
                        "description": code.description,
                        "include": code.include,
                        "exclude": code.exclude,
                    }
                    for code in dimension.codes
                ],
            }
            for dimension in codebook.dimensions
        ],
    }


def _transcript_data(transcript: Transcript) -> dict:
    return {
        "id": transcript.id,
        "source": transcript.source,
        "metadata": dict(transcript.metadata),
        "text": transcript.text,
        "turns": [
            {"speaker": turn.speaker, "role": turn.role, "start": turn.start, "end": turn.end}
            for turn in transcript.turns
        ],
    }


def _suggestion_data(suggestion: Suggestion) -> dict:
    data = {field: getattr(suggestion, field) for field in PAGE_FIELDS}
    return data | {"exemplars": list(suggestion.exemplars)}


def _title_subject(transcripts: Sequence[Transcript]) -> str:
    if len(transcripts) == 1:
        return transcripts[0].id
    return f"{len(transcripts)} transcripts"
