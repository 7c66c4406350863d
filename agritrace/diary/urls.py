from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="diary-home"),
    path("new/", views.entry_create, name="diary-new"),
    path("entries/<int:pk>/", views.entry_detail, name="diary-entry"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="diary-entry-edit"),
    path("flags/", views.flag_list, name="diary-flags"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="diary-flag-resolve"),
    path("areas/<int:pk>/", views.area_diary, name="diary-area"),
    path("areas/<int:pk>/forecast/", views.forecast, name="diary-forecast"),
    path("plots/<int:pk>/", views.plot_diary, name="diary-plot"),
    path("import/", views.season_import, name="diary-import"),
    path("inputs/", views.catalogue, name="diary-catalogue"),
    path("inputs/import/", views.catalogue_import, name="diary-catalogue-import"),
    path("inputs/export.xlsx", views.catalogue_export, name="diary-catalogue-export"),
    path("inputs/pesticides/<int:pk>/", views.pesticide_detail, name="diary-pesticide"),
    path("inputs/pesticides/<int:pk>/edit/", views.pesticide_edit, name="diary-pesticide-edit"),
]
