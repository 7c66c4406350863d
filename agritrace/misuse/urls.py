from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="misuse-dashboard"),
    path("cases/<int:pk>/", views.case_detail, name="misuse-case"),
    path("rules/", views.rules, name="misuse-rules"),
]
