from django.urls import path

from . import views, views_jobs, views_recall, views_record, views_trace

urlpatterns = [
    path("", views.home, name="trace-home"),
    path("events/<int:pk>/", views.event_detail, name="trace-event"),
    path("record/", views_record.record_menu, name="trace-record"),
    path("record/<slug:kind>/", views_record.record, name="trace-record-form"),
    path("lot/", views_trace.lot_trace, name="trace-lot"),
    path("lot/kde/", views_trace.lot_kde, name="trace-lot-kde"),
    path("areas/<int:pk>/", views_trace.area_trace, name="trace-area"),
    path("plots/<int:pk>/", views_trace.plot_trace, name="trace-plot"),
    path("samples/<int:pk>/", views_trace.sample_trace, name="trace-sample"),
    path("export/", views_trace.range_kde, name="trace-export"),
    path("import/", views_trace.import_page, name="trace-import"),
    path("import/template.xlsx", views_trace.import_template, name="trace-import-template"),
    path("capture-jobs/", views_jobs.job_list, name="trace-capture-jobs"),
    path("capture-jobs/<int:pk>/", views_jobs.job_detail, name="trace-capture-job"),
    path("recalls/", views_recall.recall_list, name="trace-recalls"),
    path("recalls/start/", views_recall.recall_start, name="trace-recall-start"),
    path("recalls/<int:pk>/", views_recall.recall_detail, name="trace-recall"),
]
