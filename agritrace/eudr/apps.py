from django.apps import AppConfig


class EudrConfig(AppConfig):
    """The EU Deforestation Regulation (Regulation (EU) 2023/1115): a lot's plots, from the
    backward trace, as the EU Information System's GeoJSON with the due-diligence statement's
    fields and a PDF summary; the province's forest baseline layers and the plots that overlap
    them."""

    name = "agritrace.eudr"
    label = "eudr"
    verbose_name = "EUDR"
