"""How long saving a plot takes (validation, geodesic area, overlap check against its
neighbours, audit entry) as the number of plots already in the registry grows.

Usage: .venv/bin/python bench/plot_overlap.py [--sizes 1000,10000] [--samples 50]
Builds a fresh SQLite database in a temporary folder (or uses DATABASE_URL) and prints, per
size, the median and 90th percentile of save_plot over --samples new plots."""

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="agritrace-bench-")
    os.environ.setdefault("AGRITRACE_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agritrace.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from agritrace.accounts.access import Actor
    from agritrace.accounts.models import Membership, Organisation, OrgKind, Role
    from agritrace.places.models import AdminUnit
    from agritrace.registry import geometry as geo
    from agritrace.registry.models import Crop, Household, Plot
    from agritrace.registry.services import save_plot

    province = AdminUnit.objects.get(tree="2025", level="province", name="Đắk Lắk")
    commune = AdminUnit.objects.filter(parent=province).first()
    coop = Organisation.objects.create(name="bench", kind=OrgKind.REPRESENTATIVE, unit=commune)
    user = get_user_model().objects.create_user("bench")
    Membership.objects.create(user=user, organisation=coop, role=Role.OFFICER)
    actor = Actor.of(user)
    crop = Crop.objects.get(code="durian")
    rng = random.Random(2026)

    def square(lon: float, lat: float, side_m: float) -> dict:
        dlat = side_m / 111_320
        dlon = side_m / (111_320 * math.cos(math.radians(lat)))
        ring = [
            [lon, lat],
            [lon + dlon, lat],
            [lon + dlon, lat + dlat],
            [lon, lat + dlat],
            [lon, lat],
        ]
        return {"type": "Polygon", "coordinates": [ring]}

    def random_plot_values(hh):
        lon = 108.0 + rng.random() * 0.5
        lat = 12.5 + rng.random() * 0.5
        shape = geo.parse_geojson(square(lon, lat, rng.uniform(50, 150)))
        box = geo.bbox(shape)
        c = geo.centroid(shape)
        return Plot(
            household=hh,
            label="x",
            crop=crop,
            geometry=geo.to_geojson(shape),
            area_m2=geo.geodesic_area_m2(shape),
            min_lon=box[0],
            min_lat=box[1],
            max_lon=box[2],
            max_lat=box[3],
            centroid_lon=c[0],
            centroid_lat=c[1],
        )

    print(f"database: {django.db.connection.vendor}; samples per size: {args.samples}")
    print(f"{'plots':>8} {'median ms':>10} {'p90 ms':>8}")
    households = [
        Household.objects.create(representative=coop, name=f"h{i}", commune=commune)
        for i in range(200)
    ]
    existing = 0
    for size in sorted(int(s) for s in args.sizes.split(",")):
        batch = [random_plot_values(rng.choice(households)) for _ in range(size - existing)]
        Plot.objects.bulk_create(batch, batch_size=2000)
        existing = size
        timings = []
        for _ in range(args.samples):
            lon = 108.0 + rng.random() * 0.5
            lat = 12.5 + rng.random() * 0.5
            start = time.perf_counter()
            save_plot(
                actor,
                {
                    "household": rng.choice(households).pk,
                    "label": "b",
                    "crop": crop.pk,
                    "geometry": square(lon, lat, 100),
                },
            )
            timings.append((time.perf_counter() - start) * 1000)
        existing += args.samples
        timings.sort()
        p90 = timings[int(len(timings) * 0.9) - 1]
        print(f"{size:>8} {statistics.median(timings):>10.1f} {p90:>8.1f}")


if __name__ == "__main__":
    main()
