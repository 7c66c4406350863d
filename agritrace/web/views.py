"""The web UI's views, thin: they parse the request, call the domain services and render."""

from django.contrib.auth import views as auth_views

from .views_codes import *  # noqa: F403
from .views_records import *  # noqa: F403


class LoginView(auth_views.LoginView):
    pass
