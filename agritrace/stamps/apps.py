from django.apps import AppConfig


class StampsConfig(AppConfig):
    name = "agritrace.stamps"
    label = "stamps"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from agritrace.registry.models import CodeStatusChange
        from agritrace.trace.signals import events_captured, recall_changed

        from . import lotcache
        from .services import forget_recalled_lots

        # What a lot's public page says changes: forget the cached lots in every process.
        recall_changed.connect(forget_recalled_lots, dispatch_uid="stamps-forget-recalled-lots")
        events_captured.connect(lotcache.on_events_captured, dispatch_uid="stamps-lot-events")
        post_save.connect(
            lotcache.on_code_status_change,
            sender=CodeStatusChange,
            dispatch_uid="stamps-lot-code-status",
        )
