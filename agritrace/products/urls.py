from django.urls import path

from . import views

app_name = "products"

urlpatterns = [
    path("", views.catalogue_page, name="catalogue"),
    path("facilities/", views.facilities_page, name="facilities"),
    path("processing/", views.processing_page, name="processing"),
]
