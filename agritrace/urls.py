from django.urls import include, path

from agritrace.api import api

urlpatterns = [
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("agritrace.accounts.urls")),
    path("diary/", include("agritrace.diary.urls")),
    path("places/", include("agritrace.places.urls")),
    path("supervision/", include("agritrace.supervision.urls")),
    path("misuse/", include("agritrace.misuse.urls")),
    path("trace/", include("agritrace.trace.urls")),
    path("epcis/", include("agritrace.trace.urls_epcis")),
    path("", include("agritrace.stamps.urls")),
    path("", include("agritrace.web.urls")),
]

handler500 = "agritrace.web.views_errors.server_error"
