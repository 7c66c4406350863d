from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "agritrace.notifications"
    label = "notifications"
