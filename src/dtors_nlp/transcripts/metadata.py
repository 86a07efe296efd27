"""A transcript's metadata header: YAML front matter, or ``key: value`` lines at the top.

Front matter sits between a first line ``---`` and the next ``---`` (or ``...``) line. A plain
header is the first block of lines, every one ``key: value`` but perhaps a title line before
them (kept as ``title``), ended by a blank line or a rule (``=====``, ``-----``); so that
the opening of a transcript (``I: Hello.`` / ``R: Hi.``) is not taken for a header, at least one
of its keys must be neither a known speaker label (``Interviewer``, ``P07``) nor a label used
further down: a header may say ``Participant: P07`` when it also has, say, a ``Date``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts.speakers import find_labels, is_known_label

HEADER_LINE = re.compile(r"(?P<key>[^\W\d_][\w'’ ./()\-]{0,40}?)\s*:\s+(?P<value>\S.*)")
FRONT_MATTER_END = {"---", "..."}
RULE = re.compile(r"([=\-_*~])\1{2,}")  # a line of one character repeated: =====, -----


def split_metadata(lines: Sequence[str], path: Path) -> tuple[dict[str, str], list[str]]:
    """The metadata found at the top of ``lines`` and the lines after it."""
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() in FRONT_MATTER_END:
                return _front_matter(lines[1:end], path), list(lines[end + 1 :])
    return _header(lines)


def _front_matter(lines: Sequence[str], path: Path) -> dict[str, str]:
    import yaml

    try:
        data = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as error:
        problem = str(error).splitlines()[0]
        raise TranscriptError(f"invalid YAML front matter ({problem})", path) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TranscriptError("YAML front matter must be 'key: value' lines", path)
    return {str(key): _as_text(value) for key, value in data.items()}


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _header(lines: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    end = next((i for i in range(first, len(lines)) if _ends_header(lines[i])), len(lines))
    block = [line.strip() for line in lines[first:end]]
    title = block[0] if len(block) > 1 and not HEADER_LINE.fullmatch(block[0]) else ""
    matches = [HEADER_LINE.fullmatch(line) for line in block[1 if title else 0 :]]
    rest = list(lines[end + 1 :])
    if not matches or not all(matches) or not any(line.strip() for line in rest):
        return {}, list(lines)
    fields = {match["key"]: match["value"].strip() for match in matches if match}
    labels = {label.key for label in find_labels(rest).values()}
    if all(key.casefold() in labels or is_known_label(key) for key in fields):
        return {}, list(lines)
    return ({"title": title} if title else {}) | fields, rest


def _ends_header(line: str) -> bool:
    """A blank line or a rule."""
    return not line.strip() or bool(RULE.fullmatch(line.strip()))
