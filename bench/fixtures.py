"""What the traceability benches share: a bench user acting for an organisation, and a
registry of planting areas and packing houses with issued codes and supply contracts, so that
the domain checks of every captured event (trace/checks.py) run and pass. Call after
django.setup()."""

import time
from collections.abc import Iterable
from datetime import date


def bench_actor(kind: str, province_name: str, name: str):
    """(organisation, actor): a new organisation of `kind` in the province and its officer."""
    from django.contrib.auth import get_user_model

    from agritrace.accounts.access import Actor
    from agritrace.accounts.models import Membership, Organisation, Role
    from agritrace.places.models import AdminUnit

    unit = AdminUnit.objects.get(tree="2025", level="province", name=province_name)
    org = Organisation.objects.create(name=name, kind=kind, unit=unit)
    user = get_user_model().objects.create_user(f"{name.replace(' ', '-')}-{time.time_ns()}")
    Membership.objects.create(user=user, organisation=org, role=Role.OFFICER)
    return org, Actor.of(user)


def issued_registry(
    org,
    *,
    area_prefix: str,
    house_prefix: str,
    areas: int,
    houses: int,
    pairs: Iterable[tuple[int, int]] | None = None,
) -> tuple[list, list]:
    """`areas` planting areas (durian, codes area_prefix + 0000…) and `houses` packing houses
    (house_prefix + 0000…) with issued codes, represented and operated by `org`, in the first
    commune of its province, and a supply contract for each (area, house) index pair (default:
    every pair). Existing ones are kept, so a rerun on the same database adds nothing.
    Returns (areas, houses), each in code order."""
    from agritrace.places.models import AdminUnit
    from agritrace.registry.models import (
        CodeStatus,
        Crop,
        PackingHouse,
        PlantingArea,
        SupplyContract,
    )

    commune = AdminUnit.objects.filter(parent=org.unit).order_by("code").first()
    crop = Crop.objects.get(code="durian")
    PlantingArea.objects.bulk_create(
        [
            PlantingArea(
                code=f"{area_prefix}{a:04d}",
                code_status=CodeStatus.ISSUED,
                name=f"bench area {a}",
                representative=org,
                crop=crop,
                commune=commune,
                declared_area_ha=10,
            )
            for a in range(areas)
        ],
        ignore_conflicts=True,
    )
    PackingHouse.objects.bulk_create(
        [
            PackingHouse(
                code=f"{house_prefix}{h:04d}",
                code_status=CodeStatus.ISSUED,
                name=f"bench packing house {h}",
                operator=org,
                address="bench",
                capacity_t_per_day=1000,
                commune=commune,
            )
            for h in range(houses)
        ],
        ignore_conflicts=True,
    )
    area_rows = list(PlantingArea.objects.filter(code__startswith=area_prefix).order_by("code"))
    house_rows = list(PackingHouse.objects.filter(code__startswith=house_prefix).order_by("code"))
    wanted = (
        set(pairs) if pairs is not None else {(a, h) for a in range(areas) for h in range(houses)}
    )
    have = set(
        SupplyContract.objects.filter(area__in=area_rows).values_list("area_id", "packing_house_id")
    )
    SupplyContract.objects.bulk_create(
        [
            SupplyContract(
                area=area_rows[a],
                packing_house=house_rows[h],
                valid_from=date(2000, 1, 1),
                valid_to=date(2100, 1, 1),
            )
            for a, h in sorted(wanted)
            if (area_rows[a].pk, house_rows[h].pk) not in have
        ]
    )
    return area_rows, house_rows
