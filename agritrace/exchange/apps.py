from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """The exchange with the national side: an outbox written in the same transaction as each
    change the national systems must know, connectors configured by an administrator, and the
    worker that delivers the messages with retries, ordering per subject and dead letters."""

    name = "agritrace.exchange"
    label = "exchange"
