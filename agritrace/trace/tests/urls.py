"""The project's URLs plus the /epcis/ interface, for the tests (the lead mounts it in
agritrace/urls.py)."""

from django.urls import include, path

from agritrace.urls import urlpatterns as project_urlpatterns

_mounted = any(str(getattr(p, "pattern", "")) == "epcis/" for p in project_urlpatterns)
urlpatterns = [
    *([] if _mounted else [path("epcis/", include("agritrace.trace.urls_epcis"))]),
    *project_urlpatterns,
]
