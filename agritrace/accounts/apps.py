from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "agritrace.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from agritrace.limits import refuse_long_text

        # Text over a field's limit is refused for every model of ours (agritrace/limits.py).
        pre_save.connect(refuse_long_text, dispatch_uid="agritrace.limits.refuse_long_text")
