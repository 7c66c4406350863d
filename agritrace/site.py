"""The service's own address, for links that leave the page: stamps' QR codes, the label PDF,
links in e-mails.

`site_url()` is, in this order:

1. ``AGRITRACE_SITE_URL`` when it is set (production: the public address behind the proxy);
2. during a request, the address the request came to (scheme and host, the host checked
   against ``AGRITRACE_ALLOWED_HOSTS`` by Django), set by `SiteAddressMiddleware`;
3. the address `agritrace serve` / `agritrace up` binds (``--host``, ``--port``; for
   ``0.0.0.0`` this machine's address on the local network, so that a phone can open it);
4. ``http://127.0.0.1:8000``.

So the demo's printed QR codes open on the port it serves on, and a command run outside the
server (``agritrace stamps export``) writes links to the configured address, or to the
default one.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

DEFAULT_SITE_URL = "http://127.0.0.1:8000"
_WILDCARD_HOSTS = {"0.0.0.0", "::", ""}

_request_base: ContextVar[str] = ContextVar("agritrace_request_base", default="")
_served: dict[str, str] = {}


def configured_url() -> str:
    """AGRITRACE_SITE_URL, without a trailing slash; empty when it is not set."""
    return (getattr(settings, "SITE_URL", "") or "").rstrip("/")


def site_url() -> str:
    """The address links should point to (see the module docstring), without a trailing
    slash."""
    return (
        configured_url() or _request_base.get() or _served.get("url") or DEFAULT_SITE_URL
    ).rstrip("/")


def _lan_address() -> str:
    """This machine's address on its local network (no packet is sent), else 127.0.0.1."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def served_url(host: str, port: int) -> str:
    """The address a server bound to host:port is reached at."""
    if host in _WILDCARD_HOSTS:
        host = _lan_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def set_served(host: str, port: int) -> str:
    """Remember the address this process serves on (`agritrace serve` / `up`); returns it."""
    _served["url"] = served_url(host, port)
    return _served["url"]


def clear_served() -> None:
    _served.pop("url", None)


class SiteAddressMiddleware:
    """Makes the request's own address the site's address while it is handled."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            base = f"{request.scheme}://{request.get_host()}"
        except DisallowedHost:
            base = ""
        token = _request_base.set(base)
        try:
            return self.get_response(request)
        finally:
            _request_base.reset(token)
