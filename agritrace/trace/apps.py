from django.apps import AppConfig


class TraceConfig(AppConfig):
    name = "agritrace.trace"
    label = "trace"
