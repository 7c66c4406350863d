import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from agritrace.registry.codes import allocate_code, parse_code
from agritrace.registry.models import CodeSerial
from conftest import make_area


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("VN-DTOR-0017", "VN-DTOR-0017"),
        ("vn-dtor-0018", "VN-DTOR-0018"),
        ("VNDTPH-0001", "VN-DTPH-0001"),
        ("VN-BTPH-036", "VN-BTPH-036"),
        (" VN-DLOR-1234 ", "VN-DLOR-1234"),
    ],
)
def test_it_reads_both_spellings(text, canonical):
    assert parse_code(text) == canonical


@pytest.mark.parametrize("text", ["", "VN-DT-0017", "XX-DTOR-0001", "VN-DTOR-12", "VN-DTXX-0001"])
def test_it_rejects_what_is_not_a_code(text):
    with pytest.raises(ValidationError) as exc:
        parse_code(text)
    assert "code" in exc.value.message_dict


@pytest.mark.django_db
def test_issuing_needs_the_province_abbreviation(world, other_commune):
    from agritrace.places.models import ProvinceAbbreviation

    area, _app = make_area(world)
    ProvinceAbbreviation.objects.filter(province=world.province).delete()
    with pytest.raises(ValidationError) as exc:
        allocate_code(area)
    assert "abbreviation" in str(exc.value)


@pytest.mark.django_db
def test_it_steps_over_a_code_imported_earlier(world):
    area, _app = make_area(world)
    other, _ = make_area(world, lon=108.2)
    other.code = "VN-DLOR-0001"
    other.save()
    assert allocate_code(area) == "VN-DLOR-0002"


@pytest.mark.django_db
def test_it_steps_over_a_serial_imported_with_fewer_digits(world):
    area, _app = make_area(world)
    other, _ = make_area(world, lon=108.2)
    other.code = "VN-DLOR-001"  # serial 1, written with three digits
    other.save()
    assert allocate_code(area) == "VN-DLOR-0002"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent row locks need PostgreSQL; SQLite serialises every writer anyway",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuance_gives_unique_gapless_codes(world):
    """Twelve officers issue at once: every code is different and the serials run 1..12."""
    areas = [make_area(world, lon=108.0 + i * 0.01, households=1)[0] for i in range(12)]
    barrier = threading.Barrier(len(areas))
    codes: list[str] = []
    errors: list[BaseException] = []

    def issue(area):
        from django.db import transaction

        try:
            barrier.wait()
            with transaction.atomic():
                codes.append(allocate_code(area))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(a,)) for a in areas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(codes) == [f"VN-DLOR-{i:04d}" for i in range(1, 13)]
    assert CodeSerial.objects.get().last_serial == 12
