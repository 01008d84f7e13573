"""The trainee's skills page (/me/skills) and its PDF copy."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import current_user

from examsite.catalog.services import roles_by_category
from examsite.security import trainee_required
from examsite.skills import presenters, queries
from examsite.skills.pdf import render_skills_pdf
from examsite.skills.services import skills_profile
from examsite.timeutil import utcnow

bp = Blueprint("skills", __name__, template_folder="templates")


def _page_data():
    profile = skills_profile(current_user.id)
    roles = [role for category in roles_by_category() for role in category.roles]
    domains = presenters.domain_rows(profile)
    return profile, domains, presenters.role_rows(profile, roles, queries.domain_names())


@bp.get("/me/skills")
@trainee_required
def mine():
    profile, domains, roles = _page_data()
    names = {row.slug: row.name for row in roles}
    return render_template(
        "skills/mine.html",
        domains=domains,
        roles=roles,
        next_roles=[(slug, names.get(slug, slug)) for slug in profile.next_roles],
        alt=presenters.chart_alt(domains),
        geometry=presenters,
    )


@bp.get("/me/skills.pdf")
@trainee_required
def mine_pdf():
    _, domains, roles = _page_data()
    body = render_skills_pdf(current_user.name, utcnow(), domains, roles)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="skills-profile.pdf"'},
    )
