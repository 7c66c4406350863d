from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The province's own duties under its plan: targets per unit, crop and year, what was
    achieved against them (computed from the registry, supervision and training records), the
    half-year and annual reports, and the training classes the plans count."""

    name = "agritrace.reports"
    label = "reports"
    verbose_name = "Reports"
