from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "agritrace.places"
    label = "places"
