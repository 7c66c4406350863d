import time

from django.core.management.base import BaseCommand

from agritrace.places.loader import load_units


class Command(BaseCommand):
    help = "Load or refresh Vietnam's administrative units (both trees and the mapping)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--verbose-warnings", action="store_true", help="Print every data warning"
        )

    def handle(self, *args, **options):
        start = time.perf_counter()
        result = load_units(stdout=self.stdout if options["verbose_warnings"] else None)
        elapsed = time.perf_counter() - start
        sources = result.pop("sources")
        for key, value in result.items():
            self.stdout.write(f"{key}: {value}")
        for name, ver in sources.items():
            self.stdout.write(f"source: {name} {ver}")
        self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.1f} s"))
