"""Certificate verification API, the signed Open Badges 3.0 credential, its status, the JWKS."""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, current_app, jsonify, url_for

from examsite.api import bp
from examsite.api.schemas import Certificate, CertificateStatus, IssuerProfile, Jwk, Jwks, reply
from examsite.catalog.services import get_role
from examsite.certificates.badge_image import issuer_logo_svg, role_badge_svg
from examsite.certificates.credential import (
    BadgeData,
    build_open_badge_credential,
    revocation_list,
    sign_vc_jwt,
    subject_urn,
)
from examsite.certificates.keys import thumbprint as thumbprint_of
from examsite.certificates.services import find_certificate, public_view, status_of
from examsite.certificates.signing import jwk_for, kid_url, public_jwks, signing_key, verification_keys
from examsite.errors import ApiError
from examsite.extensions import limiter
from examsite.timeutil import isoformat, utcnow


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _certificate(code: str):
    certificate = find_certificate(code)
    if certificate is None:
        raise ApiError(404, "not_found", f"No certificate has the code {code!r}.")
    return certificate


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


@bp.get("/certificates/<code>")
@limiter.limit(_verify_limit)
def certificate(code: str):
    return jsonify(reply(Certificate, public_view(_certificate(code))))


@bp.get("/certificates/<code>/status")
@limiter.limit(_verify_limit)
def certificate_status(code: str):
    """This certificate's status, and the 1EdTech Revocation List its credential points to."""

    cert = _certificate(code)
    revoked = [{"id": _credential_url(cert), "reason": cert.revoked_reason}] if cert.revoked_at else []
    status = {
        **revocation_list(_status_url(cert), _issuer_id(), revoked),
        "code": cert.code,
        "status": status_of(cert),
        "revoked": cert.revoked_at is not None,
        "revoked_at": isoformat(cert.revoked_at),
        "revoked_reason": cert.revoked_reason,
        "checked_at": isoformat(utcnow()),
    }
    return jsonify(reply(CertificateStatus, status))


def _credential_url(cert) -> str:
    return f"{_base()}{url_for('api.certificate_credential', code=cert.code)}"


def _status_url(cert) -> str:
    return f"{_base()}{url_for('api.certificate_status', code=cert.code)}"


def _issuer_id() -> str:
    return f"{_base()}{url_for('api.issuer_profile')}"


def _signed_credential(cert) -> str:

    base = _base()
    data = BadgeData(
        code=cert.code,
        holder=cert.holder_name,
        role_slug=cert.role.slug,
        role_name=cert.role_name,
        role_description=cert.role.duties,
        category_name=cert.category_name,
        issued_at=cert.issued_at,
        expires_at=cert.expires_at,
        verify_url=f"{base}/verify/{cert.code}",
        credential_url=_credential_url(cert),
        status_url=_status_url(cert),
        issuer_id=_issuer_id(),
        issuer_name=current_app.config["ISSUER_NAME"],
        issuer_url=base,
        issuer_email=current_app.config["ISSUER_EMAIL"] or None,
        achievement_id=f"{base}/roles/{cert.role.slug}#achievement",
        achievement_image=f"{base}{url_for('api.role_badge', slug=cert.role.slug)}",
        issuer_image=f"{base}{url_for('api.issuer_image')}",
        subject_id=subject_urn(cert.code, base),
        holder_email=cert.user.email if cert.user else None,
        email_salt=_email_salt(cert.code),
    )
    key = signing_key()
    return sign_vc_jwt(build_open_badge_credential(data), key, kid_url(key))


def _email_salt(code: str) -> str:
    # Fixed per certificate (so the credential's content never changes) and unguessable without
    # the app's secret (so a published hash cannot be tested against a list of addresses offline
    # by someone who only knows the code).

    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"credential-email-salt:{code}".encode(), hashlib.sha256).hexdigest()[:32]


@bp.get("/certificates/<code>/credential")
@limiter.limit(_verify_limit)
def certificate_credential(code: str):
    return Response(_signed_credential(_certificate(code)), mimetype="application/vc+jwt")


def _svg(body: str) -> Response:
    response = Response(body, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/certificates/<code>/badge.svg")
@limiter.limit(_verify_limit)
def certificate_badge(code: str):
    """The role's badge baked with this certificate's signed credential (OB 3.0 SVG baking)."""

    cert = _certificate(code)
    response = _svg(role_badge_svg(cert.role_name, cert.role.category.slug, _signed_credential(cert)))
    response.headers["Content-Disposition"] = f'attachment; filename="{cert.code}-badge.svg"'
    return response


@bp.get("/roles/<slug>/badge.svg")
def role_badge(slug: str):

    role = get_role(slug)
    if role is None:
        raise ApiError(404, "not_found", f"No role has the slug {slug!r}.")
    return _svg(role_badge_svg(role.name, role.category.slug))


@bp.get("/issuer/image.svg")
def issuer_image():

    return _svg(issuer_logo_svg(current_app.config["ISSUER_NAME"]))


@bp.get("/issuer")
def issuer_profile():
    base = _base()
    profile = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": _issuer_id(),
        "type": ["Profile"],
        "name": current_app.config["ISSUER_NAME"],
        "url": base,
        "image": {"id": f"{base}{url_for('api.issuer_image')}", "type": "Image"},
        "jwks": f"{base}{url_for('api.issuer_jwks')}",
    }
    if current_app.config["ISSUER_EMAIL"]:
        profile["email"] = current_app.config["ISSUER_EMAIL"]
    return jsonify(reply(IssuerProfile, profile))


@bp.get("/issuer/jwks.json")
def issuer_jwks():
    return jsonify(reply(Jwks, public_jwks()))


@bp.get("/issuer/keys/<thumbprint>")
def issuer_key(thumbprint: str):
    """One key's public JWK: where a credential's `kid` points."""

    for key in verification_keys():
        if thumbprint_of(key) == thumbprint:
            return jsonify(reply(Jwk, jwk_for(key)))
    raise ApiError(404, "not_found", "No signing key has that thumbprint.")
