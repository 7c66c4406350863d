from django.apps import AppConfig


class MisuseConfig(AppConfig):
    """Catching codes that are sold, rented or borrowed: rules over what the other apps record,
    findings gathered into cases, an officer's workflow and the province's early warning."""

    name = "agritrace.misuse"
    label = "misuse"
