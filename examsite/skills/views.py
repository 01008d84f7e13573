"""Skills pages: the trainee's own (/me/skills, PDF); for instructors and administrators the
skills-gap view (/reports/skills, CSV, XLSX) and the individual profiles of their institutions'
trainees (/reports/skills/trainees). Who may see what: examsite/skills/access.py."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from examsite.catalog.services import roles_by_category
from examsite.reports.formatters import XLSX_MIMETYPE, csv_lines, xlsx_bytes
from examsite.security import instructor_required, trainee_required
from examsite.skills import access, gap, presenters, queries
from examsite.skills import evidence as _evidence  # noqa: F401  (connects to delivery's attempt_scored)
from examsite.skills.forms import SkillsGapForm
from examsite.skills.pdf import render_skills_pdf
from examsite.skills.rules import LEVELS
from examsite.skills.services import SKILLS_COLUMNS, skills_profile
from examsite.timeutil import utcnow

bp = Blueprint("skills", __name__, template_folder="templates")


def _page_data(user_id: int):
    profile = skills_profile(user_id)
    roles = [role for category in roles_by_category() for role in category.roles]
    domains = presenters.domain_rows(profile)
    rows = presenters.role_rows(profile, roles, queries.domain_names())
    return profile, domains, rows, presenters.next_steps(profile, rows, roles)


def _profile_page(template: str, user, **extra):
    _, domains, roles, steps = _page_data(user.id)
    return render_template(
        template,
        domains=domains,
        roles=roles,
        next_steps=steps,
        alt=presenters.chart_alt(domains),
        geometry=presenters,
        **extra,
    )


@bp.get("/me/skills")
@trainee_required
def mine():
    return _profile_page("skills/mine.html", current_user)


@bp.get("/me/skills.pdf")
@trainee_required
def mine_pdf():
    _, domains, roles, _ = _page_data(current_user.id)
    body = render_skills_pdf(current_user.name, utcnow(), domains, roles)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="skills-profile.pdf"'},
    )


# --- staff: the skills gap ----------------------------------------------------------------------


def _gap_form() -> SkillsGapForm:
    return SkillsGapForm(formdata=request.args)


def _invalid(form: SkillsGapForm):
    return render_template("skills/gap.html", form=form, report=None), 422


@bp.get("/reports/skills")
@instructor_required
def skills_gap():
    form = _gap_form()
    if not form.validate():
        return _invalid(form)
    filters = form.filters()
    groups, everyone = gap.compared(gap.gap_rows(filters))
    return render_template(
        "skills/gap.html",
        form=form,
        report={
            "filters": filters,
            "label": gap.group_label(filters),
            "groups": groups,
            "everyone": everyone,
        },
        levels=[presenters.LEVEL_LABELS[level] for level in LEVELS],
        query=request.args.to_dict(),
        can_see_trainees=bool(access.staff_institution_ids(current_user)),
    )


@bp.get("/reports/skills.csv")
@instructor_required
def skills_gap_csv():
    form = _gap_form()
    if not form.validate():
        return _invalid(form)
    filters = form.filters()
    response = Response(csv_lines(SKILLS_COLUMNS, gap.gap_rows(filters)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{gap.download_name(filters, "csv")}"'
    return response


@bp.get("/reports/skills.xlsx")
@instructor_required
def skills_gap_xlsx():
    form = _gap_form()
    if not form.validate():
        return _invalid(form)
    filters = form.filters()
    body = xlsx_bytes(
        SKILLS_COLUMNS, gap.gap_rows(filters), sheet_title="Skills gap", about=gap.notes(filters)
    )
    return Response(
        body,
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{gap.download_name(filters, "xlsx")}"'},
    )


# --- staff: one trainee's profile ---------------------------------------------------------------


@bp.get("/reports/skills/trainees")
@instructor_required
def trainees():
    return render_template(
        "skills/trainees.html",
        trainees=access.visible_trainees(current_user),
        works_for=bool(access.staff_institution_ids(current_user)),
    )


@bp.get("/reports/skills/trainees/<int:user_id>")
@instructor_required
def trainee_profile(user_id: int):
    trainee = access.visible_trainee(current_user, user_id)
    if trainee is None:
        abort(404)
    return _profile_page("skills/trainee.html", trainee, trainee=trainee)
