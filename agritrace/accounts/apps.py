from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "agritrace.accounts"
    label = "accounts"
