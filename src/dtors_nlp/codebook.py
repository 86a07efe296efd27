"""The codebook: dimensions of codes, read from YAML (the shipped DTORS codebook) or REFI-QDA.

Codes are addressed as ``dimension/code`` (for example ``barrier/engagement``). A multi-label
dimension lets a passage take several of its codes; a single-label one at most one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from pathlib import Path

from dtors_nlp.errors import CodebookError

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
CODEBOOK_FIELDS = {"name", "version", "description", "dimensions"}
DIMENSION_FIELDS = {"name", "label", "description", "multi_label", "codes"}
CODE_FIELDS = {"name", "description"}


@dataclass(frozen=True)
class Code:
    """One code of a dimension."""

    name: str
    description: str = ""


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

    def describe(self, qualified_code: str) -> str:
        """The description of a ``dimension/code``."""
        dimension_name, _, code_name = qualified_code.partition("/")
        for code in self.dimension(dimension_name).codes:
            if code.name == code_name:
                return code.description
        raise CodebookError(f"no code {qualified_code!r} in codebook {self.name!r}")

    def closest(self, code: str) -> str | None:
        """The code most like ``code`` (for "did you mean"), or None if none is close."""
        import difflib

        return next(iter(difflib.get_close_matches(code, self.codes, n=1, cutoff=0.7)), None)

    def to_dict(self) -> dict:
        """The codebook as plain data, in the YAML file's layout."""
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "dimensions": [
                {
                    "name": d.name,
                    "label": d.label,
                    "description": d.description,
                    "multi_label": d.multi_label,
                    "codes": [{"name": c.name, "description": c.description} for c in d.codes],
                }
                for d in self.dimensions
            ],
        }


def validate(codebook: Codebook) -> None:
    """Raise CodebookError for empty or duplicate dimensions and codes, or malformed names."""
    if not codebook.dimensions:
        raise CodebookError(f"codebook {codebook.name!r} has no dimensions")
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
        codes = []
        for code in raw["codes"] or []:
            if not isinstance(code, dict):
                raise CodebookError(f"each code must be a mapping, not {code!r}", source)
            _check_fields(code, CODE_FIELDS, {"name"}, f"code in {raw['name']!r}", source)
            codes.append(Code(code["name"], str(code.get("description") or "").strip()))
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
    try:
        return Codebook(
            name=str(data["name"]),
            dimensions=tuple(dimensions),
            version=str(data.get("version") or ""),
            description=str(data.get("description") or "").strip(),
        )
    except CodebookError as error:
        raise CodebookError(error.problem, source) from None


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

    text = yaml.safe_dump(codebook.to_dict(), sort_keys=False, allow_unicode=True, width=100)
    write_atomically(Path(path), text)
