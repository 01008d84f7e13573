"""Certificate verification API, the signed Open Badges 3.0 credential, its status, the JWKS."""

from __future__ import annotations

from flask import Response, current_app, jsonify, url_for

from examsite.api import bp
from examsite.certificates.services import find_certificate, public_view, status_of
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
    return jsonify(public_view(_certificate(code)))


@bp.get("/certificates/<code>/status")
@limiter.limit(_verify_limit)
def certificate_status(code: str):
    cert = _certificate(code)
    return jsonify(
        {
            "code": cert.code,
            "status": status_of(cert),
            "revoked": cert.revoked_at is not None,
            "revoked_at": isoformat(cert.revoked_at),
            "revoked_reason": cert.revoked_reason,
            "checked_at": isoformat(utcnow()),
        }
    )


@bp.get("/certificates/<code>/credential")
@limiter.limit(_verify_limit)
def certificate_credential(code: str):
    from examsite.certificates.credential import BadgeData, build_open_badge_credential, sign_vc_jwt
    from examsite.certificates.signing import signing_key

    cert = _certificate(code)
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
        credential_url=f"{base}{url_for('api.certificate_credential', code=cert.code)}",
        status_url=f"{base}{url_for('api.certificate_status', code=cert.code)}",
        issuer_id=f"{base}{url_for('api.issuer_profile')}",
        issuer_name=current_app.config["ISSUER_NAME"],
        issuer_url=base,
        achievement_id=f"{base}/roles/{cert.role.slug}#achievement",
    )
    token = sign_vc_jwt(build_open_badge_credential(data), signing_key())
    return Response(token, mimetype="application/vc+jwt")


@bp.get("/issuer")
def issuer_profile():
    base = _base()
    return jsonify(
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ],
            "id": f"{base}{url_for('api.issuer_profile')}",
            "type": ["Profile"],
            "name": current_app.config["ISSUER_NAME"],
            "url": base,
            "jwks": f"{base}{url_for('api.issuer_jwks')}",
        }
    )


@bp.get("/issuer/jwks.json")
def issuer_jwks():
    from examsite.certificates.credential import public_jwks
    from examsite.certificates.signing import signing_key

    return jsonify(public_jwks(signing_key()))
