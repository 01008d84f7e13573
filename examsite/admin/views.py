"""Administration pages: institutions, cohorts, users, accommodations, the audit log."""

from __future__ import annotations

from flask import Blueprint, render_template

from examsite.security import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/")
@admin_required
def index():
    return render_template("admin/index.html")
