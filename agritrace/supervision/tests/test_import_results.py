"""Importing a laboratory's results from a spreadsheet: all or nothing, every problem named
by row and field."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from agritrace.supervision import services
from agritrace.supervision.models import LabResult, ResidueCase

from .conftest import days


@pytest.fixture
def samples(world, area, other_area, lab_b):
    def make(a, lab):
        return services.register_sample(
            world.actor("ppo"),
            {
                "area": a.pk,
                "sampled_on": days(-3),
                "laboratory": lab.pk,
                "analyses": ["chlorpyrifos", "cypermethrin"],
            },
        )

    return make(area, world.orgs["lab"]), make(other_area, lab_b)


def csv_of(rows) -> bytes:
    lines = ["sample_code,ingredient,value_mg_kg,loq_mg_kg,analysed_on"]
    lines += [",".join(str(c) for c in row) for row in rows]
    return "\n".join(lines).encode()


def test_a_good_file_is_imported_and_compared_with_the_limits(world, samples):
    mine, _theirs = samples
    data = csv_of(
        [
            (mine.code, "Chlorpyrifos", "0.2", "0.01", days(0).isoformat()),
            (mine.code, "cypermethrin", "0.05", "0.01", days(0).isoformat()),
        ]
    )
    summary = services.import_results(world.actor("lab"), data, "results.csv")
    assert (summary.results, summary.cases) == (2, 1)
    mine.refresh_from_db()
    assert mine.status == "analysed"


def test_an_xlsx_file_is_read_too(world, samples):
    mine, _theirs = samples
    book = Workbook()
    sheet = book.active
    sheet.append(["Sample_code", "ingredient", "value_mg_kg", "loq_mg_kg", "analysed_on"])
    sheet.append([mine.code, "chlorpyrifos", 0.01, 0.01, days(0)])
    out = io.BytesIO()
    book.save(out)
    summary = services.import_results(world.actor("lab"), out.getvalue(), "r.xlsx")
    assert summary.results == 1 and summary.cases == 0


def test_one_bad_row_and_nothing_is_kept(world, samples):
    mine, theirs = samples
    data = csv_of(
        [
            (mine.code, "chlorpyrifos", "0.3", "0.01", days(0).isoformat()),  # good, above a limit
            (mine.code, "carbendazim", "0.1", "", days(0).isoformat()),  # not requested
            (mine.code, "cypermethrin", "-1", "", days(0).isoformat()),  # negative
            (theirs.code, "chlorpyrifos", "0.1", "", days(0).isoformat()),  # another lab's sample
            (mine.code, "cypermethrin", "0.1", "", days(-30).isoformat()),  # before the sample
        ]
    )
    with pytest.raises(ValidationError) as exc:
        services.import_results(world.actor("lab"), data, "results.csv")
    rows = exc.value.message_dict["rows"]
    assert any(r.startswith("row 3, ingredient") for r in rows)
    assert any(r.startswith("row 4, value_mg_kg") for r in rows)
    assert any(r.startswith("row 5, sample_code") for r in rows)
    assert any(r.startswith("row 6, analysed_on") for r in rows)
    assert not any(r.startswith("row 2") for r in rows)
    assert not LabResult.objects.exists() and not ResidueCase.objects.exists()


@pytest.mark.parametrize(
    "data, name",
    [
        (b"", "r.csv"),
        (b"sample_code,value_mg_kg\nX,1", "r.csv"),
        (b"\xff\xfe\x00garbage", "r.csv"),
        (b"PK not really a workbook", "r.xlsx"),
        (b"whatever", "r.pdf"),
    ],
)
def test_unreadable_files_are_refused_by_field(world, samples, data, name):
    with pytest.raises(ValidationError) as exc:
        services.import_results(world.actor("lab"), data, name)
    assert "file" in exc.value.message_dict


def test_only_a_laboratory_imports_results(world, samples):
    with pytest.raises(PermissionDenied):
        services.import_results(world.actor("commune"), csv_of([]), "r.csv")
