"""The instructors' workspace pages under /instructor/: find, write, review and publish items;
edit blueprints and exam settings. Every page checks the user's categories and the object."""

from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from examsite.accounts.models import User
from examsite.audit.services import record
from examsite.authoring import items as operations
from examsite.authoring import scenarios, settings
from examsite.authoring.access import AuthoringError, assigned_banks, item_for, role_for, set_assignments
from examsite.authoring.content import LEVELS, OPTION_IDS, domain_specs, lint_draft, parse_item
from examsite.authoring.diff import diff_versions
from examsite.authoring.forms import editor_values, item_data
from examsite.authoring.images import MAX_BYTES, find_image, store_image, url_for_image
from examsite.authoring.preview import case_html, preview_html
from examsite.authoring.queries import FLAGS, PAGE_SIZES, SORTS, ItemFilters, find_items, review_queue
from examsite.banks.loader import BANK_PREFIX
from examsite.banks.models import Domain, Item
from examsite.catalog.models import Category
from examsite.catalog.services import roles_by_category
from examsite.database import begin_write
from examsite.extensions import db
from examsite.inputs import BodyError, read_json_body
from examsite.security import admin_required, instructor_required

#: the editor's live checks send one item or blueprint: far below this
EDITOR_BODY_LIMIT = 256 * 1024

bp = Blueprint("authoring", __name__, url_prefix="/instructor", template_folder="templates")
media_bp = Blueprint("media", __name__, url_prefix="/media")
STATUSES = ("draft", "in_review", "active", "pretest", "retired")


def refusals_as_pages(view):
    """A refused object is a 404 or 403 page, like any other; a refused edit shows its message."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except AuthoringError as exc:
            db.session.rollback()
            if exc.status in (401, 403, 404):
                abort(exc.status)
            raise

    return wrapped


def _domains(banks: set[str]) -> list[Domain]:
    return list(
        db.session.scalars(select(Domain).where(Domain.bank.in_(sorted(banks))).order_by(Domain.code))
    )


@bp.get("/items")
@instructor_required
def find():
    banks = assigned_banks(current_user)
    filters = ItemFilters.from_args(request.args, banks)
    return render_template(
        "authoring/find.html",
        page=find_items(filters),
        filters=filters,
        banks=sorted(banks),
        domains=_domains(banks),
        levels=LEVELS,
        statuses=STATUSES,
        flags=FLAGS,
        sorts=SORTS,
        page_sizes=PAGE_SIZES,
        args={k: v for k, v in request.args.items() if k != "page"},
    )


def _editor(values: dict, banks, item=None, errors=None, problems=None, status=200):
    return (
        render_template(
            "authoring/edit.html",
            item=item,
            values=values,
            banks=sorted(banks),
            domains=_domains(banks if item is None else {item.bank}),
            levels=LEVELS,
            errors=errors or {},
            problems=problems or [],
            preview=_with_case(item, preview_html(values_to_data(values))),
            comments=operations.comments(item) if item is not None else [],
            latest=item.latest_version if item is not None else None,
            status_of=operations.item_status,
        ),
        status,
    )


def _with_case(item, question):
    """An item of a scenario set is previewed under its case, as its exam page shows it."""
    latest = item.latest_version if item is not None else None
    if latest is None or not latest.scenario_id:
        return question
    return case_html(latest.scenario_title or "", latest.scenario_text or "") + question


def values_to_data(values: dict) -> dict:
    return {
        "type": values.get("type"),
        "stem": values.get("stem"),
        "options": [
            {"id": o, "text": values[f"option_{o}"]} for o in OPTION_IDS if values.get(f"option_{o}")
        ],
        "key": values.get("key"),
    }


def _lint_messages(data: dict, bank: str, external_id: str) -> list:
    try:
        return lint_draft(parse_item(data, bank, domain_specs()), external_id, domain_specs())
    except AuthoringError:
        return []


@bp.route("/items/new", methods=["GET", "POST"])
@instructor_required
@refusals_as_pages
def new():
    banks = assigned_banks(current_user)
    if not banks:
        abort(403)
    if request.method == "GET":
        values = editor_values({"category": request.args.get("category") or sorted(banks)[0]})
        return _editor(values, banks)
    data = item_data(request.form)
    try:
        item = operations.create_item(current_user, data)
    except AuthoringError as exc:
        db.session.rollback()
        if exc.status != 422:
            raise
        return _editor(
            editor_values(data), banks, errors={exc.extra.get("field", "item"): exc.message}, status=422
        )
    db.session.commit()
    flash(f"{item.external_id} saved as a draft (version 1).", "success")
    return redirect(url_for("authoring.edit", item_id=item.id))


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@instructor_required
@refusals_as_pages
def edit(item_id: int):
    item = item_for(current_user, item_id)
    if request.method == "GET":
        data = operations.item_json(item)
        problems = _lint_messages(data, item.bank, item.external_id)
        return _editor(editor_values(data), {item.bank}, item=item, problems=problems)
    data = item_data(request.form, category=item.bank)
    try:
        version, changed = operations.update_item(current_user, item, data)
    except AuthoringError as exc:
        db.session.rollback()
        if exc.status == 409:
            return _conflict(item, data, exc)
        if exc.status != 422:
            raise
        item = item_for(current_user, item_id)
        errors = {exc.extra.get("field", "item"): exc.message}
        return _editor(editor_values(data), {item.bank}, item=item, errors=errors, status=422)
    db.session.commit()
    problems = _lint_messages(data, item.bank, item.external_id)
    errors = [p for p in problems if p.severity == "error"]
    if not changed:
        flash("Nothing changed; no new version was saved.", "info")
    else:
        note = f" {len(errors)} item-writing problem(s) must be fixed before review." if errors else ""
        flash(f"Saved as version {version.version} (draft).{note}", "success")
    return redirect(url_for("authoring.edit", item_id=item.id))


def _conflict(item, data: dict, exc: AuthoringError):
    item = item_for(current_user, item.id)
    return (
        render_template(
            "authoring/conflict.html",
            item=item,
            message=exc.message,
            diff=exc.extra.get("diff", []),
            latest=item.latest_version,
        ),
        409,
    )


@bp.post("/items/check")
@instructor_required
def check():
    """Lint and preview while the author types: the same rules and messages as `flask banks lint`."""
    try:
        data = read_json_body(limit=EDITOR_BODY_LIMIT)
    except BodyError as exc:  # too large, too deeply nested or not JSON: never a server error
        return jsonify({"error": exc.code, "message": exc.message}), exc.status
    if not isinstance(data, dict):
        return jsonify({"error": "malformed", "message": "Send the item as a JSON object."}), 400
    banks = assigned_banks(current_user)
    bank = data.get("category")
    if bank not in banks:
        return jsonify({"error": "forbidden", "message": "You are not assigned to this category."}), 403
    external_id = data.get("external_id") if isinstance(data.get("external_id"), str) else ""
    problems: list[dict] = []
    try:
        draft = parse_item(data, bank, domain_specs())
        placeholder = f"{BANK_PREFIX[bank]}-NEW"  # ids are given on the first save
        found = lint_draft(draft, external_id or placeholder, domain_specs())
        problems = [p.as_dict() for p in found if p.field != "id"]
    except AuthoringError as exc:
        problems = [{"field": exc.extra.get("field", "item"), "message": exc.message, "severity": "error"}]
    item = (
        db.session.scalar(select(Item).where(Item.external_id == external_id, Item.bank == bank))
        if external_id
        else None
    )
    return jsonify({"problems": problems, "preview_html": _with_case(item, preview_html(data))})


@bp.post("/items/<int:item_id>/review")
@instructor_required
@refusals_as_pages
def review(item_id: int):
    item = item_for(current_user, item_id)
    action = request.form.get("action", "")
    parent = request.form.get("parent_id", "")
    try:
        operations.review(
            current_user,
            item,
            action,
            request.form.get("comment", ""),
            version=int(request.form["version"]) if request.form.get("version", "").isdigit() else None,
            status=request.form.get("status") or None,
            parent_id=int(parent) if parent.isdigit() else None,
        )
    except AuthoringError as exc:
        db.session.rollback()
        problems = exc.extra.get("problems") or []
        flash(exc.message + "".join(f" {p['message']}." for p in problems), "error")
        return redirect(url_for("authoring.edit", item_id=item_id))
    db.session.commit()
    done = {
        "submit": "Submitted for review.",
        "approve": "Approved: the new version serves exams started from now on.",
        "request_changes": "Sent back to the author with your comment.",
        "retire": "Retired: it no longer appears on new exam forms.",
        "comment": "Comment added.",
    }
    flash(done.get(action, "Done."), "success")
    return redirect(url_for("authoring.edit", item_id=item_id))


@bp.get("/items/<int:item_id>/history")
@instructor_required
@refusals_as_pages
def history(item_id: int):
    item = item_for(current_user, item_id)
    versions = operations.versions(item)
    newest = versions[0].version
    a = request.args.get("a", type=int) or max(1, newest - 1)
    b = request.args.get("b", type=int) or newest
    before, after = operations.version_of(item, a), operations.version_of(item, b)
    return render_template(
        "authoring/history.html",
        item=item,
        versions=versions,
        before=before,
        after=after,
        changes=diff_versions(before, after),
    )


@bp.get("/review")
@instructor_required
def queue():
    return render_template(
        "authoring/queue.html", queue=review_queue(current_user, assigned_banks(current_user))
    )


def _roles_for_user():
    banks = assigned_banks(current_user)
    return [c for c in roles_by_category() if c.slug in banks]


@bp.get("/roles")
@instructor_required
def roles():
    return render_template("authoring/roles.html", categories=_roles_for_user())


@bp.route("/roles/<slug>/blueprint", methods=["GET", "POST"])
@instructor_required
@refusals_as_pages
def blueprint(slug: str):
    role = role_for(current_user, slug)
    error = None
    posted = None
    if request.method == "POST":
        posted = {
            "domains": [
                {"code": d.code, "items": _int(request.form.get(f"domain-{d.code}"))}
                for d in settings.role_domains(role)
            ],
            "pretest_items": _int(request.form.get("pretest_items")),
        }
        try:
            settings.save_blueprint(current_user, role, posted)
        except AuthoringError as exc:
            db.session.rollback()
            if exc.status != 422:
                raise
            error = exc.message
        else:
            db.session.commit()
            flash("Blueprint saved; it applies to exams started from now on.", "success")
            return redirect(url_for("authoring.blueprint", slug=slug))
    current = settings.blueprint_json(role)
    quotas = {d["code"]: d["items"] for d in (posted or current)["domains"]}
    pretest = (posted or current)["pretest_items"]
    return render_template(
        "authoring/blueprint.html",
        role=role,
        blueprint=current,
        domains=settings.role_domains(role),
        quotas=quotas,
        pretest=pretest,
        error=error,
        feasibility={row["domain"]: row for row in current["feasibility"]},
    ), (422 if error else 200)


@bp.post("/roles/<slug>/blueprint/check")
@instructor_required
@refusals_as_pages
def blueprint_check(slug: str):
    role = role_for(current_user, slug)
    try:
        data = read_json_body(limit=EDITOR_BODY_LIMIT)
    except BodyError as exc:
        return jsonify({"error": exc.code, "message": exc.message}), exc.status
    if not isinstance(data, dict):
        return jsonify({"error": "malformed", "message": "Send a JSON object."}), 400
    try:
        quotas, _ = settings.parse_blueprint(role, data)
    except AuthoringError as exc:
        return jsonify({"error": exc.code, "message": exc.message}), 422
    return jsonify({"form_items": sum(quotas.values()), "feasibility": settings.feasibility(role, quotas)})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@bp.route("/roles/<slug>/exam", methods=["GET", "POST"])
@instructor_required
@refusals_as_pages
def exam(slug: str):
    role = role_for(current_user, slug)
    error = None
    values = settings.exam_json(role)
    if request.method == "POST":
        posted = {}
        if request.form.get("never_expires"):
            posted["validity_months"] = None
        for name in settings.EXAM_FIELDS:
            if name in posted:
                continue
            raw = request.form.get(name, "").strip()
            if raw:
                try:
                    posted[name] = float(raw) if name == "passing_percent" else int(raw)
                except ValueError:
                    error = f"{name.replace('_', ' ')} must be a number."
        if error is None:
            try:
                settings.save_exam(current_user, role, posted)
            except AuthoringError as exc:
                db.session.rollback()
                error = exc.message
            else:
                db.session.commit()
                flash("Exam settings saved; they apply to attempts started from now on.", "success")
                return redirect(url_for("authoring.exam", slug=slug))
        values = {**values, **{k: request.form.get(k, "") for k in settings.EXAM_FIELDS}}
    return render_template("authoring/exam.html", role=role, values=values, error=error), (
        422 if error else 200
    )


@bp.app_template_global("authoring_assignments")
def authoring_assignments(user: User) -> list[tuple[Category, bool]]:
    """For the administrators' user page: every category, and whether the instructor authors in it."""
    mine = assigned_banks(user)
    return [(c, c.slug in mine) for c in db.session.scalars(select(Category).order_by(Category.position))]


@bp.post("/assignments/<int:user_id>")
@admin_required
def assignments(user_id: int):
    """Administrators choose the categories an instructor authors in (the user's admin page)."""
    user = db.get_or_404(User, user_id)
    chosen = request.form.getlist("category")
    categories = list(db.session.scalars(select(Category).where(Category.slug.in_(chosen))))
    begin_write()
    try:
        added, removed = set_assignments(user, categories)
    except AuthoringError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.user", user_id=user_id))
    if added or removed:
        record("user.assign", user, added=sorted(added), removed=sorted(removed))
    db.session.commit()
    flash(f"{user.name} authors in: {', '.join(c.slug for c in categories) or 'no category'}.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/images")
@instructor_required
def upload_image():
    """Store an image for item text; answers with the Markdown that shows it."""
    if not assigned_banks(current_user):
        return jsonify({"error": "forbidden", "message": "You are not assigned to any category."}), 403
    upload = request.files.get("image")
    data = upload.stream.read(MAX_BYTES + 1) if upload is not None else b""
    try:
        image = store_image(current_user, data)
    except AuthoringError as exc:
        db.session.rollback()
        return jsonify({"error": exc.code, "message": exc.message}), exc.status
    db.session.commit()
    url = url_for_image(image)
    return jsonify({"url": url, "markdown": f"![Describe the image]({url})"}), 201


@media_bp.get("/items/<name>")
@login_required
def item_image(name: str):
    """An uploaded image, with headers that let it be nothing but an image."""
    image = find_image(name) or abort(404)
    response = Response(image.data, mimetype=image.content_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=86400, immutable"
    return response


# Scenario sets: a shared case and the items that share it (examsite/authoring/scenarios.py).


def _scenario_data(form, category: str | None = None) -> dict:
    return {
        "category": category or form.get("category"),
        "title": form.get("title", ""),
        "case": form.get("case", ""),
        "items": [i for i in re.split(r"[\s,;]+", form.get("items", "")) if i],
        "revision": form.get("revision"),
    }


def _scenario_page(scenario, values: dict, banks, errors=None, message=None, status=200):
    members = scenario.members if scenario is not None else []
    return (
        render_template(
            "authoring/scenario.html",
            scenario=scenario,
            values=values,
            banks=sorted(banks),
            errors=errors or {},
            message=message,
            case_preview=case_html(values.get("title", ""), values.get("case", "")),
            questions=[
                (item, version, preview_html(operations.item_json(item, version), prefix=f"q{item.id}"))
                for item, version in members
            ],
            lint=scenarios.lint_set(scenario) if scenario is not None else [],
            statuses=scenario.statuses() if scenario is not None else {},
        ),
        status,
    )


@bp.get("/scenarios")
@instructor_required
def scenario_sets():
    return render_template("authoring/scenarios.html", sets=scenarios.list_sets(assigned_banks(current_user)))


@bp.route("/scenarios/new", methods=["GET", "POST"])
@instructor_required
@refusals_as_pages
def new_scenario():
    banks = assigned_banks(current_user)
    if not banks:
        abort(403)
    if request.method == "GET":
        values = {
            "category": request.args.get("category") or sorted(banks)[0],
            "title": "",
            "case": "",
            "items": request.args.get("items", ""),
        }
        return _scenario_page(None, values, banks)
    data = _scenario_data(request.form)
    values = {**request.form.to_dict(), "items": " ".join(data["items"])}
    try:
        found = scenarios.create_set(current_user, data)
    except AuthoringError as exc:
        db.session.rollback()
        if exc.status != 422:
            raise
        errors = {exc.extra.get("field", "items"): exc.message}
        return _scenario_page(None, values, banks, errors=errors, status=422)
    db.session.commit()
    flash(
        f"Scenario set {found.id} saved: each of its {len(found.members)} item(s) has a new draft version.",
        "success",
    )
    return redirect(url_for("authoring.scenario", scenario_id=found.id))


@bp.route("/scenarios/<scenario_id>", methods=["GET", "POST"])
@instructor_required
@refusals_as_pages
def scenario(scenario_id: str):
    found = scenarios.set_for(current_user, scenario_id)
    values = {
        "category": found.bank,
        "title": found.title,
        "case": found.case,
        "items": " ".join(i.external_id for i, _ in found.members),
        "revision": found.revision,
    }
    if request.method == "GET":
        return _scenario_page(found, values, {found.bank})
    data = _scenario_data(request.form, category=found.bank)
    posted = {**values, **request.form.to_dict(), "items": " ".join(data["items"])}
    try:
        saved, changed = scenarios.update_set(current_user, found, data)
    except AuthoringError as exc:
        db.session.rollback()
        if exc.status not in (409, 422):
            raise
        found = scenarios.set_for(current_user, scenario_id)
        if exc.status == 409:
            return _scenario_page(found, values, {found.bank}, message=exc.message, status=409)
        errors = {exc.extra.get("field", "items"): exc.message}
        return _scenario_page(found, posted, {found.bank}, errors=errors, status=422)
    db.session.commit()
    if not changed:
        flash("Nothing changed; no new versions were saved.", "info")
    else:
        flash("Saved: every item the change touched has a new draft version.", "success")
    if not saved.members:
        return redirect(url_for("authoring.scenario_sets"))
    return redirect(url_for("authoring.scenario", scenario_id=scenario_id))


@bp.post("/scenarios/<scenario_id>/review")
@instructor_required
@refusals_as_pages
def scenario_review(scenario_id: str):
    found = scenarios.set_for(current_user, scenario_id)
    action = request.form.get("action", "")
    try:
        moved = scenarios.review_set(
            current_user,
            found,
            action,
            request.form.get("comment", ""),
            request.form.get("status") or None,
        )
    except AuthoringError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        problems = exc.extra.get("problems") or []
        flash(exc.message + "".join(f" {p['message']}." for p in problems), "error")
        return redirect(url_for("authoring.scenario", scenario_id=scenario_id))
    db.session.commit()
    done = {
        "submit": "Submitted for review",
        "approve": "Approved: the set serves exams started from now on",
        "request_changes": "Sent back to the authors with your comment",
    }
    flash(f"{done[action]} ({', '.join(moved)}).", "success")
    return redirect(url_for("authoring.scenario", scenario_id=scenario_id))


@bp.post("/scenarios/preview")
@instructor_required
def scenario_preview():
    """The case as the trainee will see it, while the author types."""
    try:
        data = read_json_body(limit=EDITOR_BODY_LIMIT)
    except BodyError as exc:
        return jsonify({"error": exc.code, "message": exc.message}), exc.status
    if not isinstance(data, dict):
        return jsonify({"error": "malformed", "message": "Send the case as a JSON object."}), 400
    if not assigned_banks(current_user):
        return jsonify({"error": "forbidden", "message": "You are not assigned to any category."}), 403
    title = data.get("title") if isinstance(data.get("title"), str) else ""
    case = data.get("case") if isinstance(data.get("case"), str) else ""
    return jsonify({"preview_html": case_html(title[: scenarios.MAX_TITLE], case[: scenarios.MAX_CASE])})
