from django.urls import path

from . import views

app_name = "eudr"

urlpatterns = [
    path("", views.home, name="home"),
]
