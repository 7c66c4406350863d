"""Placeholder views (views_codes): each returns 501 until written."""

from django.http import HttpResponse



def home(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def dashboard(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def area_list(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def area_create(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def area_detail(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def area_edit(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def code_action(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def authorise(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def market_approval(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def packing_house_list(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def packing_house_create(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def packing_house_detail(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def ph_code_action(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def application_list(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def application_detail(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def application_act(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def inspection_form(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def document_upload(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def areas_geojson(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)
