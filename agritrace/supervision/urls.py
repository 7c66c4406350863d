from django.urls import path

from . import views, views_calendars

urlpatterns = [
    path("", views.home, name="supervision-home"),
    path("plans/", views.plan_list, name="supervision-plans"),
    path("plans/<int:pk>/", views.plan_detail, name="supervision-plan"),
    path("visits/<int:pk>/", views.visit_detail, name="supervision-visit"),
    path("visits/<int:pk>/record/", views.visit_record, name="supervision-visit-record"),
    path("visits/<int:pk>/assign/", views.visit_assign, name="supervision-visit-assign"),
    path("visits/<int:pk>/decide/", views.visit_decide, name="supervision-visit-decide"),
    path("visits/new/<str:kind>/<int:pk>/", views.visit_new, name="supervision-visit-new"),
    path("actions/<int:pk>/done/", views.action_done, name="supervision-action-done"),
    path("photos/<int:pk>/", views.photo, name="supervision-photo"),
    path("areas/<int:pk>/", views.history_area, name="supervision-history-area"),
    path(
        "packing-houses/<int:pk>/",
        views.history_packing_house,
        name="supervision-history-packing-house",
    ),
    path(
        "areas/<int:pk>/observations/new/",
        views.observation_new,
        name="supervision-observation-new",
    ),
    path("residues/", views.residues, name="supervision-residues"),
    path("samples/", views.sample_list, name="supervision-samples"),
    path("samples/import/", views.results_import, name="supervision-results-import"),
    path("samples/<int:pk>/", views.sample_detail, name="supervision-sample"),
    path("samples/<int:pk>/take/", views.sample_take, name="supervision-sample-take"),
    path("cases/", views.case_list, name="supervision-cases"),
    path("cases/<int:pk>/", views.case_detail, name="supervision-case"),
    path("notices/", views.notice_list, name="supervision-notices"),
    path("notices/<int:pk>/", views.notice_detail, name="supervision-notice"),
    path("calendars/", views_calendars.calendar_list, name="supervision-calendars"),
    path("calendars/<int:pk>/", views_calendars.calendar_edit, name="supervision-calendar"),
    path(
        "calendars/template.xlsx",
        views_calendars.calendar_template,
        name="supervision-calendars-template",
    ),
]
