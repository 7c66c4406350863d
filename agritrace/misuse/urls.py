from django.urls import path

from . import views

#: Named misuse:dashboard, misuse:case, misuse:rules (cases.case_url links a case's
#: notifications to misuse:case).
app_name = "misuse"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("rules/", views.rules, name="rules"),
]
