"""The skills-gap view for instructors and administrators: filters, the comparison with all
trainees, file notes. The rows come from services.skills_gap_rows (one aggregate query)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from examsite.extensions import db
from examsite.programs.models import Cohort, Institution
from examsite.reports.queries import ReportError, parse_filters
from examsite.skills.rules import ADVANCED_MIN_ITEMS, LEVELS, MIN_ITEMS
from examsite.skills.services import ALL_TRAINEES, skills_gap_rows
from examsite.timeutil import isoformat, utcnow

BY = {"cohort": "Cohort", "institution": "Institution"}
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class GapFilters:
    by: str = "cohort"
    #: one cohort's or institution's id; None: every group
    group: int | None = None
    start: datetime | None = None
    end: datetime | None = None

    def as_dict(self) -> dict:
        return {"by": self.by, "group": self.group, "from": isoformat(self.start), "to": isoformat(self.end)}


def group_exists(by: str, group_id: int) -> bool:
    model = Cohort if by == "cohort" else Institution
    return db.session.scalar(select(model.id).where(model.id == group_id)) is not None


def parse_gap_filters(args: Mapping[str, str | None]) -> GapFilters:
    """From text (query string): by=cohort|institution, group=ID (optional), from, to (dates or
    ISO datetimes, UTC, `to` excluded). ReportError names each bad parameter."""
    errors: dict[str, str] = {}
    by = (args.get("by") or "cohort").strip()
    if by not in BY:
        errors["by"] = "must be cohort or institution"
    try:
        dates = parse_filters({"from": args.get("from"), "to": args.get("to")})
    except ReportError as exc:
        errors.update(exc.errors)
        dates = None
    group = None
    text = (args.get("group") or "").strip()
    if text:
        if not text.isdigit() or not (1 <= int(text) <= MAX_ID):
            errors["group"] = "must be the id of a cohort or institution"
        elif by in BY and not group_exists(by, int(text)):
            errors["group"] = f"no {by} with id {int(text)}"
        else:
            group = int(text)
    if errors:
        raise ReportError(errors)
    return GapFilters(by, group, dates.start, dates.end)


def gap_rows(filters: GapFilters) -> list[dict]:
    return skills_gap_rows(filters.by, filters.start, filters.end, group=filters.group)


def group_label(filters: GapFilters) -> str:
    if filters.group is None:
        return f"every {filters.by}"
    if filters.by == "cohort":
        row = db.session.execute(
            select(Cohort.name, Institution.name)
            .join(Institution, Institution.id == Cohort.institution_id)
            .where(Cohort.id == filters.group)
        ).first()
        return f"{row[0]} ({row[1]})" if row else str(filters.group)
    return db.session.scalar(select(Institution.name).where(Institution.id == filters.group)) or str(
        filters.group
    )


@dataclass(frozen=True)
class ComparedRow:
    group: str
    domain: str
    domain_name: str
    trainees: int
    #: percent per level, in LEVELS order
    percents: tuple[float, ...]
    #: percent at least proficient, and how many points above (+) or below (-) all trainees
    shown: float
    versus_all: float | None


def compared(rows: list[dict]) -> tuple[list[ComparedRow], list[ComparedRow]]:
    """(the groups' rows, the `All trainees` rows), each group row compared with all trainees."""
    everyone = {r["domain"]: r for r in rows if r["group"] == ALL_TRAINEES}

    def shown(row) -> float:
        return round((row["proficient"] + row["advanced"]) * 100, 1)

    def make(row, versus) -> ComparedRow:
        return ComparedRow(
            row["group"],
            row["domain"],
            row["domain_name"],
            row["trainees"],
            tuple(round(row[level] * 100, 1) for level in LEVELS),
            shown(row),
            versus,
        )

    groups = []
    for row in rows:
        if row["group"] == ALL_TRAINEES:
            continue
        base = everyone.get(row["domain"])
        groups.append(make(row, round(shown(row) - shown(base), 1) if base else None))
    return groups, [make(r, None) for r in everyone.values()]


def notes(filters: GapFilters) -> list[tuple[str, str]]:
    return [
        ("Report", f"Skills gap for {group_label(filters)}: per domain, the share of trainees at each level"),
        (
            "Closed between",
            f"{isoformat(filters.start) or 'the beginning'} (included) and "
            f"{isoformat(filters.end) or 'now'} (not included), UTC",
        ),
        ("Compared with", f"the rows '{ALL_TRAINEES}': every trainee with attempts in the range"),
        (
            "Levels",
            f"Wilson lower bound on the share correct (recent attempts weigh more); not shown under "
            f"{MIN_ITEMS} items, advanced needs {ADVANCED_MIN_ITEMS}. See examsite/skills/rules.py.",
        ),
        ("Generated", isoformat(utcnow())),
    ]


def download_name(filters: GapFilters, extension: str) -> str:
    parts = ["skills-gap", filters.by]
    if filters.group is not None:
        parts.append(str(filters.group))
    if filters.start:
        parts.append("from-" + filters.start.strftime("%Y-%m-%d"))
    if filters.end:
        parts.append("to-" + filters.end.strftime("%Y-%m-%d"))
    return "-".join(parts) + "." + extension


def group_choices() -> dict[str, list[tuple[str, str]]]:
    """The filter form's `Show` choices: every cohort / institution, or one of them."""
    cohorts = db.session.execute(
        select(Cohort.id, Cohort.name, Institution.name)
        .join(Institution, Institution.id == Cohort.institution_id)
        .order_by(Institution.name, Cohort.name)
    ).all()
    institutions = db.session.execute(
        select(Institution.id, Institution.name).order_by(Institution.name)
    ).all()
    return {
        "All groups": [("cohort", "Every cohort"), ("institution", "Every institution")],
        "Cohorts": [(f"cohort-{cid}", f"{name} ({inst})") for cid, name, inst in cohorts],
        "Institutions": [(f"institution-{iid}", name) for iid, name in institutions],
    }


def parse_show(value: str) -> tuple[str, int | None]:
    """The form's `show` token ("cohort", "institution-3") as (by, group id)."""
    by, _, group = value.partition("-")
    return by, int(group) if group else None
