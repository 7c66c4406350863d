from django.apps import AppConfig


class StampsConfig(AppConfig):
    name = "agritrace.stamps"
    label = "stamps"
