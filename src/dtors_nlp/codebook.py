"""The codebook: dimensions of codes, read from YAML (the shipped DTORS codebook) or REFI-QDA.

Codes are addressed as ``dimension/code`` (for example ``barrier/engagement``). A multi-label
dimension lets a passage take several of its codes; a single-label one at most one. Besides its
description, a code may carry inclusion and exclusion notes and keywords for coders, and the
codebook notes on coding as a whole; all of these are optional (codebook 1.0 has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from pathlib import Path

from dtors_nlp.errors import CodebookError

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
CODEBOOK_FIELDS = {"name", "version", "description", "notes", "dimensions"}
DIMENSION_FIELDS = {"name", "label", "description", "multi_label", "codes"}
CODE_FIELDS = {"name", "description", "include", "exclude", "keywords"}
KEYWORD_SEPARATOR = ";"  # keywords are joined with it in a .qdc description, so none holds one


@dataclass(frozen=True)
class Code:
    """One code of a dimension.

    ``include`` and ``exclude``: when to use the code, and when not (with the neighbouring code
    to use instead); ``keywords``: words and phrases typical of it. All optional, for coders.
    """

    name: str
    description: str = ""
    include: str = ""
    exclude: str = ""
    keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.keywords, list):
            object.__setattr__(self, "keywords", tuple(self.keywords))

    def details(self) -> str:
        """The description followed by the lines ``Include:``, ``Exclude:`` and ``Keywords:``
        (those that are set), as shown to coders."""
        return "\n".join(
            part
            for part in (
                self.description,
                f"Include: {self.include}" if self.include else "",
                f"Exclude: {self.exclude}" if self.exclude else "",
                f"Keywords: {', '.join(self.keywords)}" if self.keywords else "",
            )
            if part
        )


@dataclass(frozen=True)
class Dimension:
    """A group of codes; ``multi_label`` says whether a passage may take several of them."""

    name: str
    codes: tuple[Code, ...]
    label: str = ""
    description: str = ""
    multi_label: bool = True

    @property
    def qualified_codes(self) -> list[str]:
        """The codes as ``dimension/code``."""
        return [f"{self.name}/{code.name}" for code in self.codes]


@dataclass(frozen=True)
class Codebook:
    """Dimensions of codes, validated on creation."""

    name: str
    dimensions: tuple[Dimension, ...]
    version: str = ""
    description: str = ""
    notes: str = ""  # notes for coders on the codebook as a whole

    def __post_init__(self) -> None:
        validate(self)

    @property
    def codes(self) -> list[str]:
        """Every code as ``dimension/code``, in codebook order."""
        return [code for dimension in self.dimensions for code in dimension.qualified_codes]

    def dimension(self, name: str) -> Dimension:
        """The dimension called ``name``."""
        for dimension in self.dimensions:
            if dimension.name == name:
                return dimension
        raise CodebookError(f"no dimension {name!r} in codebook {self.name!r}")

    def code(self, qualified_code: str) -> Code:
        """The ``Code`` of a ``dimension/code``."""
        dimension_name, _, code_name = qualified_code.partition("/")
        for code in self.dimension(dimension_name).codes:
            if code.name == code_name:
                return code
        raise CodebookError(f"no code {qualified_code!r} in codebook {self.name!r}")

    def describe(self, qualified_code: str) -> str:
        """The description of a ``dimension/code``, then its inclusion and exclusion notes and
        keywords when it has them (one line each: ``Include: ...``)."""
        return self.code(qualified_code).details()

    def closest(self, code: str) -> str | None:
        """The code most like ``code`` (for "did you mean"), or None if none is close."""
        import difflib

        return next(iter(difflib.get_close_matches(code, self.codes, n=1, cutoff=0.7)), None)

    def to_dict(self) -> dict:
        """The codebook as plain data, in the YAML file's layout."""
        data = {"name": self.name, "version": self.version, "description": self.description}
        if self.notes:
            data["notes"] = self.notes
        data["dimensions"] = [
            {
                "name": d.name,
                "label": d.label,
                "description": d.description,
                "multi_label": d.multi_label,
                "codes": [_code_dict(c) for c in d.codes],
            }
            for d in self.dimensions
        ]
        return data


def _code_dict(code: Code) -> dict:
    """A code as plain data; the optional notes only when set, so that a codebook without them
    (1.0) gives the same data, and model files, as before they existed."""
    data = {"name": code.name, "description": code.description}
    if code.include:
        data["include"] = code.include
    if code.exclude:
        data["exclude"] = code.exclude
    if code.keywords:
        data["keywords"] = list(code.keywords)
    return data


def validate(codebook: Codebook) -> None:
    """Raise CodebookError for empty or duplicate dimensions and codes, or malformed names."""
    if not codebook.dimensions:
        raise CodebookError(f"codebook {codebook.name!r} has no dimensions")
    if not isinstance(codebook.notes, str):
        raise CodebookError("notes of the codebook must be text")
    seen_dimensions: set[str] = set()
    for dimension in codebook.dimensions:
        _check_identifier(dimension.name, "dimension")
        if dimension.name in seen_dimensions:
            raise CodebookError(f"dimension {dimension.name!r} appears twice")
        seen_dimensions.add(dimension.name)
        if not dimension.codes:
            raise CodebookError(f"dimension {dimension.name!r} has no codes")
        seen_codes: set[str] = set()
        for code in dimension.codes:
            _check_identifier(code.name, f"code in dimension {dimension.name!r}")
            if code.name in seen_codes:
                raise CodebookError(f"code {dimension.name}/{code.name} appears twice")
            seen_codes.add(code.name)
            _check_notes(code, f"{dimension.name}/{code.name}")


def _check_notes(code: Code, qualified: str) -> None:
    for field in ("description", "include", "exclude"):
        if not isinstance(getattr(code, field), str):
            raise CodebookError(f"{field} of code {qualified} must be text")
    keywords = code.keywords
    if not isinstance(keywords, tuple) or not all(isinstance(k, str) for k in keywords):
        raise CodebookError(f"keywords of code {qualified} must be a list of words or phrases")
    for keyword in keywords:
        if not keyword.strip() or KEYWORD_SEPARATOR in keyword or "\n" in keyword:
            raise CodebookError(
                f"keyword {keyword!r} of code {qualified} must be a word or phrase "
                f"(not empty, no {KEYWORD_SEPARATOR!r}, no line break)"
            )


def _check_identifier(name: str, what: str) -> None:
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise CodebookError(
            f"{what} name {name!r} must be lower-case letters, digits and underscores"
        )


def codebook_from_dict(data: object, source: str = "codebook") -> Codebook:
    """Build a Codebook from the YAML layout, refusing unknown or missing fields."""
    if not isinstance(data, dict):
        raise CodebookError("expected a mapping with 'name' and 'dimensions'", source)
    _check_fields(data, CODEBOOK_FIELDS, {"name", "dimensions"}, "codebook", source)
    if not isinstance(data["dimensions"], list):
        raise CodebookError("'dimensions' must be a list", source)
    dimensions = []
    for raw in data["dimensions"]:
        if not isinstance(raw, dict):
            raise CodebookError(f"each dimension must be a mapping, not {raw!r}", source)
        _check_fields(raw, DIMENSION_FIELDS, {"name", "codes"}, "dimension", source)
        codes = [_code_from_dict(code, raw["name"], source) for code in raw["codes"] or []]
        multi_label = raw.get("multi_label", True)
        if not isinstance(multi_label, bool):
            raise CodebookError(f"multi_label of {raw['name']!r} must be true or false", source)
        dimensions.append(
            Dimension(
                name=raw["name"],
                codes=tuple(codes),
                label=str(raw.get("label") or ""),
                description=str(raw.get("description") or "").strip(),
                multi_label=multi_label,
            )
        )
    notes = data.get("notes") or ""
    if not isinstance(notes, str):
        raise CodebookError("notes of the codebook must be text", source)
    try:
        return Codebook(
            name=str(data["name"]),
            dimensions=tuple(dimensions),
            version=str(data.get("version") or ""),
            description=str(data.get("description") or "").strip(),
            notes=notes.strip(),
        )
    except CodebookError as error:
        raise CodebookError(error.problem, source) from None


def _code_from_dict(code: object, dimension: object, source: str) -> Code:
    if not isinstance(code, dict):
        raise CodebookError(f"each code must be a mapping, not {code!r}", source)
    _check_fields(code, CODE_FIELDS, {"name"}, f"code in {dimension!r}", source)
    qualified = f"{dimension}/{code['name']}"
    notes = {}
    for field in ("include", "exclude"):
        value = code.get(field) or ""
        if not isinstance(value, str):
            raise CodebookError(f"{field} of code {qualified} must be text", source)
        notes[field] = value.strip()
    keywords = code.get("keywords") or []
    if not isinstance(keywords, list) or not all(
        isinstance(k, (str, int, float)) and not isinstance(k, bool) for k in keywords
    ):
        raise CodebookError(
            f"keywords of code {qualified} must be a list of words or phrases", source
        )
    return Code(
        code["name"],
        str(code.get("description") or "").strip(),
        keywords=tuple(str(k).strip() for k in keywords),
        **notes,
    )


def _check_fields(
    data: dict, allowed: set[str], required: set[str], what: str, source: str
) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise CodebookError(f"unknown field {unknown[0]!r} in {what}", source)
    missing = sorted(required - set(data))
    if missing:
        raise CodebookError(f"{what} lacks the field {missing[0]!r}", source)


def load_codebook(path: str | PathLike[str] | None = None) -> Codebook:
    """The DTORS codebook, or a team's own from YAML, REFI-QDA ``.qdc`` or ``.qdpx``."""
    if path is None:
        text = resources.files("dtors_nlp").joinpath("codebooks/dtors.yaml").read_text("utf-8")
        return _codebook_from_yaml(text, "dtors.yaml")
    path = Path(path)
    if not path.is_file():
        raise CodebookError("no such file", path)
    suffix = path.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        try:
            text = path.read_text("utf-8-sig")
        except UnicodeDecodeError:
            raise CodebookError("not UTF-8 text", path) from None
        return _codebook_from_yaml(text, str(path))
    if suffix in {".qdc", ".qdpx"}:
        from dtors_nlp.refi.codebook import read_codebook

        return read_codebook(path)
    raise CodebookError(f"unknown codebook format {suffix!r} (use .yaml, .qdc or .qdpx)", path)


def _codebook_from_yaml(text: str, source: str) -> Codebook:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", None)
        where = f" at line {line + 1}" if line is not None else ""
        raise CodebookError(f"not valid YAML{where}", source) from None
    return codebook_from_dict(data, source)


def write_codebook_yaml(codebook: Codebook, path: str | PathLike[str]) -> None:
    """Write the codebook in the YAML layout that ``load_codebook`` reads."""
    import yaml

    from dtors_nlp.files import write_atomically

    text = yaml.dump(
        codebook.to_dict(), Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True, width=100
    )
    write_atomically(Path(path), text)


def _yaml_dumper():
    import yaml

    class Dumper(yaml.SafeDumper):
        """Writes text of several lines (the codebook's notes) as a ``|`` block."""

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper
