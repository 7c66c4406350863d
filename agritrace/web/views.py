"""The web UI's views, thin: they parse the request, call the domain services and render."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from .views_applications import *  # noqa: F403
from .views_areas import *  # noqa: F403
from .views_dashboard import *  # noqa: F403
from .views_houses import *  # noqa: F403
from .views_records import *  # noqa: F403


class LoginView(auth_views.LoginView):
    def get_default_redirect_url(self) -> str:
        """Without a ?next=, each person's own start page (menu.start_url): a household lands
        on its diary and a laboratory on its samples, not on the officers' dashboard."""
        from agritrace.accounts.access import Actor

        from .menu import start_url

        return start_url(Actor.of(self.request.user))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Shown only where the operator says this is a demo (`agritrace up` sets it).
        if settings.AGRITRACE_SHOW_DEMO_LOGINS:
            from agritrace.demo import DEMO_PASSWORD, demo_logins

            context["demo_logins"] = [
                {"username": username, "password": DEMO_PASSWORD, "role": f"{role} · {org}"}
                for username, org, role in demo_logins()
            ]
        return context


def health(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and monitoring: the process answers, nothing more (no
    database, no session). bench/lookup.py also uses it as the trivial endpoint to compare
    the public stamp lookup with."""
    return HttpResponse("ok", content_type="text/plain")
