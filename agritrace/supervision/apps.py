from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "agritrace.supervision"
    label = "supervision"
