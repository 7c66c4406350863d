"""Placeholder views (views_records): each returns 501 until written."""

from django.http import HttpResponse



def area_households(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def plot_create(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def plot_edit(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def household_list(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def household_create(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def household_detail(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def household_edit(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def inbox(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def inbox_read(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def tokens(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def public_codes(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)


def public_codes_export(request, *args, **kwargs):
    return HttpResponse('not yet', status=501)
