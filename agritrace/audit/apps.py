from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "agritrace.audit"
    label = "audit"
