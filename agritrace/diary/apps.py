from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "agritrace.diary"
    label = "diary"
