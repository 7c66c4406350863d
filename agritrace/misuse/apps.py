from django.apps import AppConfig


class MisuseConfig(AppConfig):
    """Catching codes that are sold, rented or borrowed: rules over what the other apps record,
    findings gathered into cases, an officer's workflow and the province's early warning."""

    name = "agritrace.misuse"
    label = "misuse"

    def ready(self) -> None:
        from agritrace.trace.signals import capture_refused, events_captured

        from .incremental import on_capture_refused, on_events_captured

        events_captured.connect(on_events_captured, dispatch_uid="misuse.incremental")
        capture_refused.connect(on_capture_refused, dispatch_uid="misuse.incremental.refused")
