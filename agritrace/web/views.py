"""Placeholder views: the web UI is being written; each returns 501 until then."""

from django.contrib.auth import views as auth_views
from django.http import HttpResponse


class LoginView(auth_views.LoginView):
    pass


def home(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def dashboard(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def area_list(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def area_create(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def area_detail(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def area_edit(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def area_households(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def plot_create(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def code_action(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def authorise(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def market_approval(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def plot_edit(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def packing_house_list(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def packing_house_create(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def packing_house_detail(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def ph_code_action(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def application_list(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def application_detail(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def application_act(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def inspection_form(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def document_upload(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def household_list(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def household_create(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def household_detail(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def household_edit(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def inbox(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def inbox_read(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def tokens(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def public_codes(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def public_codes_export(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)


def areas_geojson(request, *args, **kwargs):
    return HttpResponse("not yet", status=501)
