from django.apps import AppConfig


class StampsConfig(AppConfig):
    name = "agritrace.stamps"
    label = "stamps"

    def ready(self) -> None:
        from agritrace.trace.signals import recall_changed

        from .services import forget_recalled_lots

        recall_changed.connect(forget_recalled_lots, dispatch_uid="stamps-forget-recalled-lots")
