from django.urls import path

from . import views

urlpatterns = [
    path("abbreviations/", views.abbreviation_list, name="places-abbreviations"),
]
