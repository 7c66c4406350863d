from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="trace-home"),
    path("events/<int:pk>/", views.event_detail, name="trace-event"),
]
