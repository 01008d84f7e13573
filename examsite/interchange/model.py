"""The plain data every parser returns, whatever the source format."""

from __future__ import annotations

from dataclasses import dataclass, field

from examsite.banks.loader import Problem

FORMATS = ("gift", "aiken", "qti", "csv", "xlsx")
OPTION_IDS = "abcdef"


@dataclass
class ParsedItem:
    """One question as the source states it; `domain`/`level` are None when the source is silent."""

    file: str
    line: int
    type: str  # "single" | "multiple"
    stem: str  # Markdown, as examsite stores it
    options: list[tuple[str, str]]  # [(id, Markdown text)], ids a-f in source order
    keys: list[str]
    rationale: str = ""
    title: str = ""
    category: str = ""
    domain: str | None = None
    level: str | None = None
    status: str | None = None  # "pretest" when the source marks the item unscored
    tags: list[str] = field(default_factory=list)
    #: what the mapping changed or decided, shown in the preview ("weights 50/50/-100 -> keys b, c")
    notes: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Skipped:
    """A question examsite cannot hold (essay, matching, numerical...), listed, never dropped silently."""

    file: str
    line: int
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: skipped {self.kind}: {self.reason}"


@dataclass
class ParseResult:
    items: list[ParsedItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def error(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def extend(self, other: ParseResult) -> None:
        self.items += other.items
        self.skipped += other.skipped
        self.problems += other.problems

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def option_ids(count: int) -> list[str]:
    return list(OPTION_IDS[:count])
