from agritrace.registry.management.commands.authorisations import SheetImportCommand
from agritrace.supervision import calendar


class Command(SheetImportCommand):
    help = "Import harvest season calendars (XLSX or CSV), or write the template."
    reads = "season calendars"
    template_of = staticmethod(calendar.template)
    import_rows = staticmethod(calendar.import_calendars)
