from django.urls import path

from . import views, views_profile

urlpatterns = [
    path("profile/", views_profile.profile, name="profile"),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/new/", views.organisation_create, name="organisation-create"),
    path("organisations/import/", views.organisation_import, name="organisation-import"),
    path(
        "organisations/import/template.xlsx",
        views.organisation_import_template,
        name="organisation-import-template",
    ),
    path("organisations/<str:key>/", views.organisation_detail, name="organisation-detail"),
    path(
        "invitations/<str:uidb64>/<str:token>/",
        views.invitation_accept,
        name="invitation-accept",
    ),
]
