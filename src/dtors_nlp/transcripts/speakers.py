"""Speaker labels at the start of lines, and each speaker's role.

Label styles recognised (``LABEL`` is one to four words, such as ``Interviewer``, ``P07``,
``Speaker 1``, ``JOHN``, ``Dr Shah``)::

    LABEL: speech                  Interviewer: So how did it start?
    [00:03:12] LABEL: speech       timestamps in brackets, parentheses or bare, before or after
    LABEL (00:01:02): speech       the label; they are dropped from the text
    **LABEL:** speech              Markdown bold
    LABEL<TAB>speech               a tab instead of the colon (common in Word transcripts)
    LABEL:                         a label on its own line; the speech follows on the next lines
    LABEL (00:01:02)               (without a colon only with a timestamp, a known label such
                                   as INTERVIEWER, or a name in capitals that recurs)
    [00:04:30] more speech         a timestamp in brackets starting a line without a label is
                                   dropped too

So that an ordinary sentence such as "Thing is: I was..." is not taken for a label, a label with
a colon must be a known label (see ``INTERVIEWER_LABELS``, ``INTERVIEWEE_LABELS`` and
``OTHER_LABELS``, such as ``Speaker 2``) or recur at the start of at least two lines. Lines
without a label continue the previous turn.

Roles: known labels decide first (``P07`` is an interviewee, ``INT`` an interviewer; a number at
the end is ignored); then, if no one is yet the interviewer, the speaker who asks the most
questions is; everyone else is an interviewee. ``overrides`` (``{"JOHN": "interviewer"}``) beat
both.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts.spans import Role

INTERVIEWER_LABELS = frozenset(
    {"interviewer", "i", "int", "q", "moderator", "researcher", "facilitator"}
    | {"therapist", "counsellor", "counselor"}
)
INTERVIEWEE_LABELS = frozenset(
    {"participant", "r", "p", "respondent", "interviewee", "client", "a", "patient"}
)
OTHER_LABELS = frozenset({"speaker", "unknown speaker"})  # labels that say nothing of a role
ROLES: tuple[Role, ...] = ("interviewer", "interviewee")

TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
STAMP = rf"(?:\[{TIME}\]|\({TIME}\)|{TIME})"
CHAR = r"[\w'’.\-]"
NAME = rf"[^\W\d_]{CHAR}*(?:[ ](?!{TIME}){CHAR}+){{0,3}}"  # one to four words
BOLD = r"(?:\*\*|__)?"
LEADING_STAMP = re.compile(rf"^\s*(?:\[{TIME}\]|\({TIME}\))\s*")  # on lines without a label
LABEL = re.compile(
    rf"""
    (?P<before>{STAMP}\s+)?
    {BOLD}(?P<name>{NAME})(?:\s+(?P<after>{STAMP}))?{BOLD}
    (?: (?P<separator>\s*:{BOLD}(?=\s|$)|\t) \s* (?P<rest>.*) | \s*$ )
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Label:
    """A speaker label found at the start of a line, with the speech that follows it there."""

    name: str
    rest: str
    own_line: bool  # no colon or tab: the whole line is the label
    timestamped: bool

    @property
    def key(self) -> str:
        """The label's identity: labels differing only in case are the same speaker."""
        return self.name.casefold()


@dataclass
class Block:
    """One speaker's lines, before they are joined into a turn."""

    speaker: str
    lines: list[str] = field(default_factory=list)


def match_label(line: str) -> Label | None:
    """The label a line starts with, if it has the shape of one (not yet checked to recur)."""
    match = LABEL.fullmatch(line.strip())
    if not match:
        return None
    return Label(
        name=match["name"],
        rest=(match["rest"] or "").strip(),
        own_line=match["separator"] is None,
        timestamped=bool(match["before"] or match["after"]),
    )


def find_labels(lines: Sequence[str]) -> dict[int, Label]:
    """The lines (by index) that start with a speaker label, by the rules in the module doc."""
    candidates = {i: label for i, line in enumerate(lines) if (label := match_label(line))}
    counts = Counter((label.key, label.own_line) for label in candidates.values())
    return {
        i: label
        for i, label in candidates.items()
        if _accepted(label, counts[label.key, label.own_line])
    }


def _accepted(label: Label, count: int) -> bool:
    known = is_known_label(label.name)
    if not label.own_line:
        return known or count >= 2
    words = label.name.split()
    if not label.name[-1].isalnum() or not all(
        word[0].isupper() or word[0].isdigit() for word in words
    ):
        return False
    capitals = label.name.isupper() and len(label.name) >= 2
    return label.timestamped or (known and len(label.name) >= 2) or (capitals and count >= 2)


def split_blocks(lines: Sequence[str]) -> tuple[list[str], list[Block]]:
    """Lines before the first label, and one block per label with the lines that follow it."""
    labels = find_labels(lines)
    names: dict[str, str] = {}  # key -> the spelling seen first
    preamble: list[str] = []
    blocks: list[Block] = []
    for i, line in enumerate(lines):
        label = labels.get(i)
        if label:
            speaker = names.setdefault(label.key, label.name)
            blocks.append(Block(speaker, [label.rest] if label.rest else []))
        else:
            (blocks[-1].lines if blocks else preamble).append(LEADING_STAMP.sub("", line))
    return preamble, blocks


def is_known_label(name: str) -> bool:
    """True for conventional speaker labels: ``Interviewer``, ``P07``, ``Speaker 2``..."""
    return known_role(name) is not None or _base(name) in OTHER_LABELS


def known_role(label: str) -> Role | None:
    """The role a conventional label implies (``P07`` -> interviewee), else None."""
    base = _base(label)
    if base in INTERVIEWER_LABELS:
        return "interviewer"
    if base in INTERVIEWEE_LABELS:
        return "interviewee"
    return None


def _base(label: str) -> str:
    """The label in lower case without a number at the end: ``P07`` -> ``p``."""
    return re.sub(r"[\s_\-]*\d+$", "", label.casefold())


def assign_roles(
    turns: Sequence[tuple[str, str]],
    overrides: Mapping[str, str] | None,
    path: str | Path,
) -> dict[str, Role]:
    """Each speaker's role, from ``(speaker, text)`` turns; see the module docstring."""
    speakers = list(dict.fromkeys(speaker for speaker, _ in turns))
    roles = {speaker: role for speaker in speakers if (role := known_role(speaker))}
    roles.update(_checked_overrides(speakers, overrides or {}, path))
    undecided = [speaker for speaker in speakers if speaker not in roles]
    if undecided and len(speakers) > 1 and "interviewer" not in roles.values():
        questions = Counter(speaker for speaker, text in turns if "?" in text)
        roles[max(undecided, key=lambda speaker: questions[speaker])] = "interviewer"
    return {speaker: roles.get(speaker, "interviewee") for speaker in speakers}


def _checked_overrides(
    speakers: Sequence[str], overrides: Mapping[str, str], path: str | Path
) -> dict[str, Role]:
    by_key = {speaker.casefold(): speaker for speaker in speakers}
    checked: dict[str, Role] = {}
    for label, role in overrides.items():
        if role not in ROLES:
            raise TranscriptError(
                f"role for {label!r} must be 'interviewer' or 'interviewee'", path
            )
        if label.casefold() not in by_key:
            raise TranscriptError(
                f"no speaker {label!r} to give a role to (speakers: {', '.join(speakers)})", path
            )
        checked[by_key[label.casefold()]] = role
    return checked
