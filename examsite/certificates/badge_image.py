"""Badge images for Open Badges 3.0: one drawn per role, the issuer's logo, and baked badges.

Plain SVG built from escaped text, so a role or issuer name can never inject markup; served with a
CSP that forbids scripts. A baked badge carries the signed credential inside the image, as OB 3.0
section 5.3 describes for SVG: an `openbadges:credential` element holding the VC-JWT.
"""

from __future__ import annotations

import string
from xml.sax.saxutils import escape

OB_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"

#: One colour per role category, dark enough for white text at 4.5:1 or better.
_CATEGORY_COLOURS = {
    "mobile-adoption-support": "#1f4e79",
    "permanent-staff": "#5b2a86",
    "informaticians": "#0b5d3b",
}


_JWS_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_.")
_FALLBACK_COLOUR = "#333333"


def _initials(name: str) -> str:
    words = [w for w in name.replace("/", " ").split() if w[:1].isalpha() and w.lower() not in {"and", "of"}]
    return "".join(w[0].upper() for w in words[:3]) or "?"


def role_badge_svg(role_name: str, category_slug: str, credential_jwt: str | None = None) -> str:
    """The role's badge; with `credential_jwt`, baked with that credential."""
    colour = _CATEGORY_COLOURS.get(category_slug, _FALLBACK_COLOUR)
    name = escape(role_name)
    baked = ""
    if credential_jwt is not None:
        # A compact JWS is base64url and dots only, so it cannot end the CDATA section early.
        if not set(credential_jwt) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
        ):
            raise ValueError("a baked credential must be a compact JWS")
        baked = f"<openbadges:credential><![CDATA[{credential_jwt}]]></openbadges:credential>"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:openbadges="{OB_SVG_NAMESPACE}" viewBox="0 0 200 200" width="200" height="200" '
        f'role="img" aria-labelledby="title">{baked}'
        f'<title id="title">{name} certificate of competency</title>'
        f'<circle cx="100" cy="100" r="96" fill="{colour}"/>'
        '<circle cx="100" cy="100" r="84" fill="none" stroke="#ffffff" stroke-width="4"/>'
        '<text x="100" y="112" text-anchor="middle" font-family="sans-serif" font-size="44" '
        f'font-weight="bold" fill="#ffffff">{escape(_initials(role_name))}</text>'
        '<text x="100" y="150" text-anchor="middle" font-family="sans-serif" font-size="12" '
        'fill="#ffffff">HEALTH IT</text>'
        "</svg>"
    )


def issuer_logo_svg(issuer_name: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200" '
        f'role="img" aria-labelledby="title"><title id="title">{escape(issuer_name)}</title>'
        '<rect width="200" height="200" rx="24" fill="#12355b"/>'
        '<path d="M70 100h60M100 70v60" stroke="#ffffff" stroke-width="18" stroke-linecap="round"/>'
        "</svg>"
    )
