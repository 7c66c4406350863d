from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "agritrace.web"
    label = "web"
