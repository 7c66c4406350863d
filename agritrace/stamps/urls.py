"""Stamp URLs. The public ones sit at the root of the service's domain, where a stamp's GS1
Digital Link points: /01/<GTIN>/10/<lot>/21/<serial>?s=… (and the deprecated /gtin/… form),
and /p/<owner code>/10/<lot>/21/<serial>?s=… for lots of the service's own namespace."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    re_path(r"^(?P<path>(?:01|gtin|p)/.*)$", views.stamp_page, name="stamp-page"),
    path("lookup/", views.public_lookup, name="public-lookup"),
    path("stamps/", views.batch_list, name="stamps-home"),
    path("stamps/batches/<int:pk>/", views.batch_detail, name="stamps-batch"),
    path("stamps/batches/<int:pk>/void/", views.batch_void, name="stamps-void"),
    path("stamps/batches/<int:pk>/serials.csv", views.batch_csv, name="stamps-csv"),
    path("stamps/batches/<int:pk>/labels.pdf", views.batch_labels, name="stamps-labels"),
]
