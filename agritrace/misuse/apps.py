from django.apps import AppConfig


class MisuseConfig(AppConfig):
    """Catching codes that are sold, rented or borrowed: rules over what the other apps record,
    findings gathered into cases, an officer's workflow and the province's early warning."""

    name = "agritrace.misuse"
    label = "misuse"

    def ready(self) -> None:
        from agritrace.trace.signals import events_captured

        from .incremental import on_events_captured

        events_captured.connect(on_events_captured, dispatch_uid="misuse.incremental")
