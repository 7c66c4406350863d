"""The 500 page: in the site's layout and language when the layout can be drawn, else a plain
page (the layout reads the database for the menu and the inbox, which may be what failed).
403 and 404 use Django's own handlers with the templates `403.html` and `404.html`."""

import logging

from django.http import HttpRequest, HttpResponseServerError
from django.template import loader

log = logging.getLogger(__name__)


def server_error(request: HttpRequest) -> HttpResponseServerError:
    try:
        body = loader.render_to_string("500.html", request=request)
    except Exception:  # the layout itself failed: say so without it
        log.exception("the 500 page could not be drawn in the layout")
        body = loader.render_to_string("errors/500_plain.html")
    return HttpResponseServerError(body)
