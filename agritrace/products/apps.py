from django.apps import AppConfig


class ProductsConfig(AppConfig):
    """Every product of the traceability plans (issue 12; seeds 002 and 004): the product
    catalogue with its kinds and processing relations, processing facilities, non-crop
    production units (forest plots, fishponds), processing steps recorded as EPCIS
    TransformationEvents and the plan's minimum data per lot."""

    name = "agritrace.products"
    label = "products"
    verbose_name = "Products"
