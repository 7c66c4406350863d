from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "agritrace.registry"
    label = "registry"
