"""The Content-Security-Policy of every response (pages, the public stamp pages, the API).

Scripts run only from the service's own static files and from inline `<script>` elements that
carry the request's nonce (`<script nonce="{{ request.csp_nonce }}">`): an injected script has
no nonce and does not run. Styles may be inline (the templates' style attributes; htmx and
Leaflet set styles too); images may come from the map's tile server (AGRITRACE_TILE_URL).
Nothing may frame a page (frame-ancestors 'none', with X-Frame-Options: DENY for old browsers).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def tile_source(tile_url: str) -> str:
    """The origin of a tile URL template for img-src ("" without tiles): `{s}` subdomains
    become a wildcard."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def policy(nonce: str) -> str:
    images = " ".join(
        s for s in ("'self'", "data:", "blob:", tile_source(settings.AGRITRACE_TILE_URL)) if s
    )
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    """Gives each request a fresh nonce (`request.csp_nonce`) and each response the policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(nonce)
        return response
