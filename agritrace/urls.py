from django.urls import include, path

from agritrace.accounts.views_profile import switch_language
from agritrace.api import api

urlpatterns = [
    path("api/", api.urls),
    # the language switch: also saves a signed-in person's preference
    path("i18n/setlang/", switch_language, name="set_language"),
    path("accounts/", include("agritrace.accounts.urls")),
    path("diary/", include("agritrace.diary.urls")),
    path("places/", include("agritrace.places.urls")),
    path("supervision/", include("agritrace.supervision.urls")),
    path("misuse/", include("agritrace.misuse.urls")),
    path("reports/", include("agritrace.reports.urls")),
    path("eudr/", include("agritrace.eudr.urls")),
    path("exchange/", include("agritrace.exchange.urls")),
    path("products/", include("agritrace.products.urls")),
    path("trace/", include("agritrace.trace.urls")),
    path("epcis/", include("agritrace.trace.urls_epcis")),
    path("", include("agritrace.stamps.urls")),
    path("", include("agritrace.web.urls")),
]

handler500 = "agritrace.web.views_errors.server_error"
