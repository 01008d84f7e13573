"""Pass-rate report pages (administrators)."""

from __future__ import annotations

from flask import Blueprint, render_template

from examsite.security import admin_required

bp = Blueprint("reports", __name__, template_folder="templates")


@bp.get("/reports/pass-rates")
@admin_required
def pass_rates():
    return render_template("reports/pass_rates.html")
