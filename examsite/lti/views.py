"""/lti: the tool's key set, OIDC login initiation, the launch, deep linking, course rosters.

`/lti/login` and `/lti/launch` are posted by the platform from another site, so they carry no
CSRF token; the signed state, its browser-bound cookie, the single-use nonce and the platform's
signature protect them instead (see launch.py). Every refused launch is a 400 page that says why.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from examsite.accounts.sessions import start_session
from examsite.catalog.services import get_role, roles_by_category
from examsite.database import begin_write
from examsite.extensions import csrf, db
from examsite.lti import deep_linking, framing, keys
from examsite.lti.accounts import sign_in_user
from examsite.lti.forms import ChooseExamForm, ConfirmForm
from examsite.lti.launch import (
    cookie_name,
    cookie_value,
    read_state,
    relogin_url,
    start_login,
    verify_launch,
)
from examsite.lti.messages import DEEP_LINKING_REQUEST, Launch, LaunchError
from examsite.lti.models import LtiContext, LtiContextMember, LtiPlatform
from examsite.lti.roster import RosterError, sync_roster
from examsite.lti.scores import pending_in_request, remember_line_item, send_due
from examsite.security import CSP, instructor_required

bp = Blueprint("lti", __name__, url_prefix="/lti", template_folder="templates")
DEEP_LINK_KEY = "lti_deep_link"


def _public(endpoint: str) -> str:
    """An absolute URL of this tool as platforms know it (PUBLIC_BASE_URL, not the Host header)."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for(endpoint)


def refused(message: str, status: int = 400):
    return render_template("lti/error.html", message=message), status


@bp.errorhandler(LaunchError)
def launch_error(exc: LaunchError):
    db.session.rollback()
    return refused(str(exc))


@bp.get("/jwks.json")
def jwks():
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    params = {k: v for k, v in request.values.items() if isinstance(v, str)}
    target = start_login(params, _public("lti.launch"))
    response = redirect(target.url)
    secure = request.is_secure
    response.set_cookie(
        cookie_name(target.state),
        cookie_value(target.state),
        max_age=600,
        path=url_for("lti.launch"),
        httponly=True,
        secure=secure,
        samesite="None" if secure else "Lax",
    )
    return response


@bp.post("/launch")
@csrf.exempt
def launch():
    if request.form.get("error"):
        reason = request.form.get("error_description") or request.form["error"]
        raise LaunchError(f"The platform refused the sign-in: {reason[:200]}")
    state_value = request.form.get("state", "")
    state = read_state(state_value)
    if request.cookies.get(cookie_name(state_value)) != cookie_value(state_value):
        # Third-party cookies blocked (or a launch not started in this browser): continue in
        # a new window, where examsite is the first party.
        return render_template("lti/cookies.html", relaunch=relogin_url(state, url_for("lti.login"))), 400
    platform, launch_, _claims = verify_launch(request.form.get("id_token", ""), state)
    begin_write()
    user, _context = sign_in_user(platform, launch_)
    role = _launch_role(launch_)
    if role is not None and user.role == "trainee" and launch_.lineitem_url and launch_.score_allowed:
        remember_line_item(user.id, role.id, platform, launch_.lineitem_url, launch_.sub)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise LaunchError("Your account is being set up by another launch; open the activity again.") from exc
    start_session(user)
    session[framing.FRAME_KEY] = sorted(
        {o for o in (framing.origin(platform.issuer), framing.origin(platform.auth_login_url)) if o}
    )
    if launch_.message_type == DEEP_LINKING_REQUEST:
        settings = launch_.deep_linking or {}
        session[DEEP_LINK_KEY] = {
            "platform": platform.id,
            "deployment": launch_.deployment_id,
            "return_url": settings["deep_link_return_url"],
            "data": settings.get("data") if isinstance(settings.get("data"), str) else None,
            "line_item": settings.get("accept_lineitem") is not False,
        }
        target = url_for("lti.deep_link")
    elif role is not None:
        target = url_for("catalog.role", slug=role.slug)
    else:
        if launch_.custom.get("role"):
            flash("The course links to an exam examsite does not offer; choose one here.", "error")
        target = url_for("catalog.home")
    response = redirect(target)
    response.delete_cookie(cookie_name(state_value), path=url_for("lti.launch"))
    return response


def _launch_role(launch_: Launch):
    slug = launch_.custom.get("role")
    return get_role(slug) if isinstance(slug, str) and slug else None


@bp.route("/deep-link", methods=["GET", "POST"])
@instructor_required
def deep_link():
    pending = session.get(DEEP_LINK_KEY)
    if not isinstance(pending, dict):
        return refused(
            "There is no deep-linking request to answer. Start from your course's “add activity” page."
        )
    platform = db.session.get(LtiPlatform, pending.get("platform"))
    if platform is None:
        return refused("The platform of this request is no longer registered.")
    categories = roles_by_category()
    form = ChooseExamForm()
    form.role.choices = [(r.slug, r.name) for c in categories for r in c.roles]
    if not form.validate_on_submit():
        return render_template("lti/deep_link.html", form=form, categories=categories), (
            422 if form.is_submitted() else 200
        )
    role = get_role(form.role.data)
    token = deep_linking.response_jwt(
        client_id=platform.client_id,
        issuer=platform.issuer,
        deployment_id=pending["deployment"],
        data=pending.get("data"),
        items=[
            deep_linking.content_item(
                role.slug, role.name, _public("lti.launch"), line_item=pending.get("line_item", True)
            )
        ],
    )
    session.pop(DEEP_LINK_KEY, None)
    return_url = pending["return_url"]
    response = current_app.make_response(
        render_template("lti/deep_link_return.html", return_url=return_url, jwt=token, role=role)
    )
    target = framing.origin(return_url)
    if target:  # the one page whose form leaves this site: to the platform's return URL
        csp = response.headers.get("Content-Security-Policy") or CSP
        response.headers["Content-Security-Policy"] = csp.replace(
            "form-action 'self'", f"form-action 'self' {target}"
        )
    return response


@bp.get("/courses")
@instructor_required
def courses():
    query = select(LtiContext).order_by(LtiContext.title)
    if current_user.role != "admin":
        query = query.join(LtiContextMember, LtiContextMember.context_id == LtiContext.id).where(
            LtiContextMember.user_id == current_user.id, LtiContextMember.staff.is_(True)
        )
    return render_template("lti/courses.html", contexts=db.session.scalars(query).all(), form=ConfirmForm())


@bp.post("/courses/<int:context_id>/sync")
@instructor_required
def sync(context_id: int):
    context = db.session.get(LtiContext, context_id)
    if context is None or not _may_manage(context):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        result = sync_roster(context, current_user)
    except RosterError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(
            f"Roster synced: {result.learners} learner(s), {result.staff} instructor(s), "
            f"{result.skipped} skipped.",
            "success",
        )
    return redirect(url_for("lti.courses"))


def _may_manage(context: LtiContext) -> bool:
    if current_user.role == "admin":
        return True
    return (
        db.session.scalar(
            select(LtiContextMember.id).where(
                LtiContextMember.context_id == context.id,
                LtiContextMember.user_id == current_user.id,
                LtiContextMember.staff.is_(True),
            )
        )
        is not None
    )


@bp.after_app_request
def after_any_request(response):
    """Post the scores this request queued, now that they are committed; frame LTI sessions."""
    pending = pending_in_request()
    if pending:
        try:
            send_due(ids=pending)
        except Exception:  # never fail the trainee's request: cron retries (flask lti send-scores)
            current_app.logger.exception("posting LTI scores %s failed; they stay in the outbox", pending)
            db.session.rollback()
    return framing.frame_headers(response)
