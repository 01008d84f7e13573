"""Program rules: institutions, cohorts, who belongs where, time accommodations, roster uploads.

Every change is written to the audit log in the caller's transaction; callers commit.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from examsite.accounts.models import User, UserRole, hash_password, normalize_email
from examsite.accounts.services import (
    NewPassword,
    create_user,
    one_time_password,
    one_time_password_expiry,
    set_one_time_password,
)
from examsite.audit.services import record
from examsite.extensions import db
from examsite.programs.models import Accommodation, Cohort, Institution
from examsite.text import text_problem
from examsite.timeutil import utcnow

NAME_MAX = 200
MIN_MULTIPLIER, MAX_MULTIPLIER = Decimal("1.0"), Decimal("4.0")
#: new accounts from a roster each get a hashed one-time password (~0.1 s each), so uploads stay small
MAX_ROSTER_ROWS = 500
ROSTER_COLUMNS = ("email", "name", "cohort")
_HEADER_ALIASES = {
    "email": "email",
    "e-mail": "email",
    "emailaddress": "email",
    "e-mailaddress": "email",
    "name": "name",
    "fullname": "name",
    "cohort": "cohort",
}


class ProgramError(ValueError):
    pass


def _clean_name(name: str | None, what: str) -> str:
    if problem := text_problem(name or ""):
        raise ProgramError(f"{what} name {problem}.")
    name = " ".join((name or "").split())
    if not name:
        raise ProgramError(f"{what} name is required.")
    if len(name) > NAME_MAX:
        raise ProgramError(f"{what} name must be at most {NAME_MAX} characters.")
    return name


# --- institutions -------------------------------------------------------------------------------


def _institution_named(name: str) -> Institution | None:
    return db.session.scalar(select(Institution).where(func.lower(Institution.name) == name.lower()))


def create_institution(name: str, actor) -> Institution:
    name = _clean_name(name, "An institution")
    if _institution_named(name) is not None:
        raise ProgramError(f"An institution named {name!r} already exists.")
    institution = Institution(name=name, created_at=utcnow())
    db.session.add(institution)
    db.session.flush()
    record("institution.create", institution, actor=actor, name=name)
    return institution


def rename_institution(institution: Institution, name: str, actor) -> None:
    name = _clean_name(name, "An institution")
    other = _institution_named(name)
    if other is not None and other.id != institution.id:
        raise ProgramError(f"An institution named {name!r} already exists.")
    if name != institution.name:
        record("institution.rename", institution, actor=actor, old=institution.name, new=name)
        institution.name = name


def set_institution_archived(institution: Institution, archived: bool, actor) -> None:
    """Archived institutions keep their history and reports but take no new trainees."""
    if archived == (institution.archived_at is not None):
        return
    institution.archived_at = utcnow() if archived else None
    record(
        "institution.archive" if archived else "institution.restore",
        institution,
        actor=actor,
        name=institution.name,
    )


# --- cohorts ------------------------------------------------------------------------------------


def _cohort_named(institution: Institution, name: str) -> Cohort | None:
    return db.session.scalar(
        select(Cohort).where(Cohort.institution_id == institution.id, func.lower(Cohort.name) == name.lower())
    )


def create_cohort(institution: Institution, name: str, actor) -> Cohort:
    name = _clean_name(name, "A cohort")
    if institution.archived_at is not None:
        raise ProgramError(f"{institution.name} is archived; restore it before adding cohorts.")
    if _cohort_named(institution, name) is not None:
        raise ProgramError(f"{institution.name} already has a cohort named {name!r}.")
    cohort = Cohort(institution_id=institution.id, name=name, created_at=utcnow())
    db.session.add(cohort)
    db.session.flush()
    record("cohort.create", cohort, actor=actor, name=name, institution=institution.id)
    return cohort


def rename_cohort(cohort: Cohort, name: str, actor) -> None:
    name = _clean_name(name, "A cohort")
    other = _cohort_named(cohort.institution, name)
    if other is not None and other.id != cohort.id:
        raise ProgramError(f"{cohort.institution.name} already has a cohort named {name!r}.")
    if name != cohort.name:
        record("cohort.rename", cohort, actor=actor, old=cohort.name, new=name)
        cohort.name = name


def set_cohort_archived(cohort: Cohort, archived: bool, actor) -> None:
    """Archived cohorts keep their members and reports but take no new trainees."""
    if archived == (cohort.archived_at is not None):
        return
    cohort.archived_at = utcnow() if archived else None
    record("cohort.archive" if archived else "cohort.restore", cohort, actor=actor, name=cohort.name)


def cohort_problem(cohort: Cohort) -> str | None:
    if cohort.archived_at is not None:
        return f"Cohort {cohort.name!r} is archived."
    if cohort.institution.archived_at is not None:
        return f"{cohort.institution.name} is archived."
    return None


def assign_cohort(user: User, cohort: Cohort | None, actor) -> bool:
    """Put a trainee in a cohort (or in none); True when something changed.

    Attempts already started keep the cohort they were taken in, so reports do not move.
    """
    if user.role != UserRole.TRAINEE:
        raise ProgramError(f"{user.email} is an {user.role} account; only trainees belong to cohorts.")
    if cohort is not None and (problem := cohort_problem(cohort)):
        raise ProgramError(problem)
    new_id = cohort.id if cohort is not None else None
    if user.cohort_id == new_id:
        return False
    old = user.cohort
    record(
        "user.cohort",
        user,
        actor=actor,
        old=old.id if old else None,
        old_name=old.name if old else None,
        new=new_id,
        new_name=cohort.name if cohort else None,
    )
    user.cohort_id = new_id
    user.cohort = cohort
    return True


# --- accommodations -----------------------------------------------------------------------------


def parse_multiplier(value) -> Decimal:
    try:
        multiplier = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ProgramError(f"The time multiplier must be a number, not {value!r}.") from exc
    if not multiplier.is_finite() or not (MIN_MULTIPLIER <= multiplier <= MAX_MULTIPLIER):
        raise ProgramError(f"The time multiplier must be between {MIN_MULTIPLIER} and {MAX_MULTIPLIER}.")
    return multiplier.quantize(Decimal("0.01"))


def set_accommodation(user: User, multiplier, note: str, actor) -> Accommodation:
    """Give a trainee extra time (x1.0 to x4.0) with the reason; applies to exams started later."""
    if user.role != UserRole.TRAINEE:
        raise ProgramError("Only trainee accounts take exams, so only they get time accommodations.")
    multiplier = parse_multiplier(multiplier)
    note = (note or "").strip()
    if not note:
        raise ProgramError("A note is required: say what the accommodation is based on.")
    if len(note) > 1000:
        raise ProgramError("Keep the note under 1000 characters.")
    accommodation = user.accommodation
    old = str(accommodation.time_multiplier) if accommodation else None
    if accommodation is None:
        accommodation = Accommodation(user_id=user.id)
        db.session.add(accommodation)
        user.accommodation = accommodation
    accommodation.time_multiplier = multiplier
    accommodation.note = note
    accommodation.set_by_id = getattr(actor, "id", None)
    accommodation.set_at = utcnow()
    record("accommodation.set", user, actor=actor, old=old, new=str(multiplier), note=note)
    return accommodation


def clear_accommodation(user: User, actor) -> bool:
    accommodation = user.accommodation
    if accommodation is None:
        return False
    record(
        "accommodation.clear",
        user,
        actor=actor,
        old=str(accommodation.time_multiplier),
        note=accommodation.note,
    )
    user.accommodation = None
    db.session.delete(accommodation)
    return True


def issue_one_time_password(user: User, actor, password: NewPassword) -> str:
    """Give someone who cannot log in the fresh `password` (new_one_time_password, made before
    the unit of work); shown once, changed at first login."""
    set_one_time_password(user, password.hash)
    record("user.one_time_password", user, actor=actor)
    return password.text


# --- roster upload ------------------------------------------------------------------------------


@dataclass
class RosterRow:
    line: int
    email: str
    name: str
    cohort: str
    #: "create", "assign", "unchanged" or "refuse"
    outcome: str = "refuse"
    reason: str = ""
    one_time_password: str | None = None
    password_hash: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome != "refuse"


@dataclass
class RosterReport:
    rows: list[RosterRow] = field(default_factory=list)
    #: set when the whole file was refused (unreadable, no header, too long)
    error: str | None = None
    applied: bool = False

    @property
    def accepted(self) -> list[RosterRow]:
        return [r for r in self.rows if r.accepted]

    @property
    def refused(self) -> list[RosterRow]:
        return [r for r in self.rows if not r.accepted]

    @property
    def created(self) -> list[RosterRow]:
        return [r for r in self.rows if r.outcome == "create"]


def import_roster(
    institution: Institution, data: bytes, actor, *, apply: bool = True, filename: str = ""
) -> RosterReport:
    """Check a roster CSV (columns email, name, cohort) and, when asked, apply its good rows.

    `cohort` is the name of one of this institution's cohorts. A known e-mail puts that trainee in
    the cohort; an unknown one creates a trainee account with a one-time password (listed once in
    the report). A refused row changes nothing; the accepted rows are applied together in the
    caller's transaction, so a failure part-way leaves nothing behind.
    """
    report = check_roster(institution, data, make_passwords=apply)
    if apply:
        apply_roster(institution, report, actor, filename=filename)
    return report


def check_roster(institution: Institution, data: bytes, *, make_passwords: bool = True) -> RosterReport:
    """Read and check a roster (writes nothing) and, to apply it, make the one-time passwords of
    the accounts it will create, hashed here: hashing 500 rows inside the write would hold the writer queue
    (and every trainee's save behind it) for the whole import."""
    report = RosterReport()
    parsed = _read_roster(data, report)
    if parsed is None:
        return report
    _check_rows(institution, parsed, report)
    for row in report.accepted if make_passwords else ():
        if row.outcome == "create":
            row.one_time_password = one_time_password()
            row.password_hash = hash_password(row.one_time_password)
    return report


def apply_roster(institution: Institution, report: RosterReport, actor, *, filename: str = "") -> None:
    """Apply a checked roster's accepted rows (in the caller's unit of work)."""
    if not report.accepted:
        return
    _apply_rows(institution, report, actor)
    report.applied = True
    record(
        "roster.import",
        institution,
        actor=actor,
        filename=filename or None,
        created=len(report.created),
        accepted=len(report.accepted),
        refused=len(report.refused),
    )


def _read_roster(data: bytes, report: RosterReport) -> list[RosterRow] | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.error = "The file is not UTF-8 text. In a spreadsheet, save it as “CSV UTF-8”."
        return None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    columns = [_HEADER_ALIASES.get("".join(h.lower().split()).replace("_", "")) for h in header or []]
    missing = [c for c in ROSTER_COLUMNS if c not in columns]
    if missing:
        report.error = (
            f"The first line must name the columns email, name and cohort (missing: {', '.join(missing)})."
        )
        return None
    index = {c: columns.index(c) for c in ROSTER_COLUMNS}
    rows: list[RosterRow] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) == MAX_ROSTER_ROWS:
                report.error = f"The file has more than {MAX_ROSTER_ROWS} rows; split it into smaller files."
                return None
            cells = {c: values[i].strip() if i < len(values) else "" for c, i in index.items()}
            rows.append(
                RosterRow(
                    line=reader.line_num, email=cells["email"], name=cells["name"], cohort=cells["cohort"]
                )
            )
    except csv.Error as exc:
        report.error = f"Line {reader.line_num} cannot be read as CSV: {exc}."
        return None
    if not rows:
        report.error = "The file has a header but no trainees."
        return None
    return rows


def _check_rows(institution: Institution, rows: list[RosterRow], report: RosterReport) -> None:
    cohorts = {c.name.lower(): c for c in institution.cohorts}
    emails = []
    for row in rows:
        try:
            row.email = normalize_email(validate_email(row.email, check_deliverability=False).normalized)
            emails.append(row.email)
        except EmailNotValidError as exc:
            row.reason = f"E-mail {row.email!r} is not valid: {exc}" if row.email else "E-mail is missing."
    users = (
        {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    )
    seen: dict[str, int] = {}
    for row in rows:
        report.rows.append(row)
        if row.reason:
            continue
        row.reason = _row_problem(row, institution, cohorts, users, seen)
        seen.setdefault(row.email, row.line)
        if row.reason:
            continue
        user, cohort = users.get(row.email), cohorts[row.cohort.lower()]
        if user is None:
            row.outcome, row.reason = "create", "No account yet: a trainee account with a one-time password."
        elif user.cohort_id == cohort.id:
            row.outcome, row.reason = "unchanged", "Already in this cohort."
        else:
            row.outcome = "assign"
            row.reason = f"Moved from {user.cohort.name}." if user.cohort else "Added to the cohort."
            if row.name and row.name != user.name:
                row.reason += f" The account keeps its name ({user.name})."


def _row_problem(
    row: RosterRow, institution: Institution, cohorts: dict, users: dict, seen: dict[str, int]
) -> str:
    if row.email in seen:
        return f"The same e-mail is already on line {seen[row.email]}."
    if problem := text_problem(row.name):
        return f"The name {problem}."
    if not row.cohort:
        return "Cohort is missing."
    cohort = cohorts.get(row.cohort.lower())
    if cohort is None:
        return f"{institution.name} has no cohort named {row.cohort!r}."
    if problem := cohort_problem(cohort):
        return problem
    user = users.get(row.email)
    if user is None:
        if not row.name:
            return "Name is missing (needed to create the account)."
        if len(row.name) > 120:
            return "Name is longer than 120 characters."
    elif user.role != UserRole.TRAINEE:
        return f"{row.email} is an {user.role} account; only trainees belong to cohorts."
    return ""


def _apply_rows(institution: Institution, report: RosterReport, actor) -> None:
    cohorts = {c.name.lower(): c for c in institution.cohorts}
    for row in report.accepted:
        cohort = cohorts[row.cohort.lower()]
        if row.outcome == "create":
            user = create_user(
                row.email,
                row.name,
                None,
                role=UserRole.TRAINEE,
                actor=actor,
                check_password=False,
                password_hash=row.password_hash,
            )
            user.must_change_password = True
            user.password_expires_at = one_time_password_expiry()
        else:
            user = db.session.scalar(select(User).where(User.email == row.email))
        assign_cohort(user, cohort, actor)
