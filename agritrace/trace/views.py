from django.http import HttpResponse


def home(request):
    return HttpResponse("not yet", status=501)
