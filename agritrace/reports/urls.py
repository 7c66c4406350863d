from django.urls import path

from . import views

#: Named reports:achieved, reports:target, reports:targets, reports:periodic, ... (the
#: deadline reminders link to reports:periodic).
app_name = "reports"

urlpatterns = [
    path("", views.achieved_page, name="achieved"),
    path("targets/", views.targets_page, name="targets"),
    path("targets/<int:pk>/", views.target_detail, name="target"),
    path("periodic/", views.periodic_page, name="periodic"),
    path("periodic/<int:pk>/", views.report_detail, name="report"),
    path("periodic/<int:pk>/file.<str:fmt>", views.report_file, name="report-file"),
    path("training/", views.training_page, name="training"),
    path("training/<int:pk>/", views.class_detail, name="class"),
]
