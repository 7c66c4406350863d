"""The units are loaded by migration 0002 (agritrace.places.loader.load_units)."""

import pytest
from django.core.management import call_command

from agritrace.places.loader import load_units
from agritrace.places.models import AdminUnit, Level, Tree, UnitMapping
from agritrace.places.services import (
    current_unit_for_legacy,
    find_commune,
    find_province,
    provinces,
)

pytestmark = pytest.mark.django_db


def units(tree, level):
    return AdminUnit.objects.filter(tree=tree, level=level)


def test_current_tree():
    assert units(Tree.CURRENT, Level.PROVINCE).count() == 34
    assert units(Tree.CURRENT, Level.DISTRICT).count() == 0
    assert 3300 <= units(Tree.CURRENT, Level.COMMUNE).count() <= 3350
    assert not units(Tree.CURRENT, Level.COMMUNE).filter(parent__isnull=True).exists()
    assert provinces().count() == 34


def test_legacy_tree():
    assert units(Tree.LEGACY, Level.PROVINCE).count() == 63
    assert 690 <= units(Tree.LEGACY, Level.DISTRICT).count() <= 720
    assert units(Tree.LEGACY, Level.COMMUNE).count() > 10000
    assert not (units(Tree.LEGACY, Level.COMMUNE).exclude(parent__level=Level.DISTRICT).exists())


def test_dak_lak_in_both_trees():
    current = AdminUnit.objects.get(tree=Tree.CURRENT, level=Level.PROVINCE, name="Đắk Lắk")
    legacy = AdminUnit.objects.get(tree=Tree.LEGACY, level=Level.PROVINCE, name="Đắk Lắk")
    assert current.code == legacy.code == "66"
    # Phú Yên merged into Đắk Lắk; Đắk Nông into Lâm Đồng
    phu_yen = AdminUnit.objects.get(tree=Tree.LEGACY, level=Level.PROVINCE, name="Phú Yên")
    dak_nong = AdminUnit.objects.get(tree=Tree.LEGACY, level=Level.PROVINCE, name="Đắk Nông")
    assert current_unit_for_legacy(legacy) == [current]
    assert current_unit_for_legacy(phu_yen) == [current]
    assert [p.name for p in current_unit_for_legacy(dak_nong)] == ["Lâm Đồng"]


def test_every_legacy_unit_is_mapped():
    legacy = AdminUnit.objects.filter(tree=Tree.LEGACY)
    assert not legacy.filter(mapped_to__isnull=True).exists()
    assert not UnitMapping.objects.exclude(current__tree=Tree.CURRENT).exists()


def test_legacy_commune_maps_to_current_commune():
    # Hà Nội, Quận Ba Đình, Phường Trúc Bạch -> Phường Ba Đình (vietnamadminunits data)
    truc_bach = AdminUnit.objects.get(
        tree=Tree.LEGACY, level=Level.COMMUNE, name="Phường Trúc Bạch", parent__name="Quận Ba Đình"
    )
    [ba_dinh] = current_unit_for_legacy(truc_bach)
    assert ba_dinh.level == Level.COMMUNE
    assert ba_dinh.name == "Phường Ba Đình"
    assert ba_dinh.province.name == "Thành phố Hà Nội"


def test_split_legacy_commune_maps_to_several():
    # Đà Nẵng, Huyện Hòa Vang, Xã Hòa Liên was split between two wards
    hoa_lien = AdminUnit.objects.get(
        tree=Tree.LEGACY, level=Level.COMMUNE, name="Xã Hòa Liên", parent__name="Huyện Hòa Vang"
    )
    names = [u.name for u in current_unit_for_legacy(hoa_lien)]
    assert names == ["Phường Hải Vân", "Phường Liên Chiểu"]


def test_island_district_maps_to_special_zone():
    con_dao = AdminUnit.objects.get(tree=Tree.LEGACY, level=Level.DISTRICT, name="Huyện Côn Đảo")
    [zone] = current_unit_for_legacy(con_dao)
    assert zone.name == "Đặc khu Côn Đảo"
    assert zone.province.name == "Thành phố Hồ Chí Minh"


def test_loading_twice_changes_nothing():
    before_units = set(
        AdminUnit.objects.values_list("pk", "tree", "level", "code", "name", "parent_id")
    )
    before_mappings = set(UnitMapping.objects.values_list("pk", "legacy_id", "current_id"))
    result = load_units()
    assert result["units_created"] == result["units_updated"] == 0
    assert result["mappings_created"] == result["mappings_deleted"] == 0
    assert result["current_provinces"] == 34
    assert result["legacy_provinces"] == 63
    assert set(result["sources"]) == {"vietnam-provinces", "vietnamadminunits"}
    assert (
        set(AdminUnit.objects.values_list("pk", "tree", "level", "code", "name", "parent_id"))
        == before_units
    )
    assert set(UnitMapping.objects.values_list("pk", "legacy_id", "current_id")) == before_mappings


def test_load_repairs_changes():
    unit = AdminUnit.objects.get(tree=Tree.CURRENT, level=Level.PROVINCE, code="66")
    unit.name = "wrong"
    unit.save()
    UnitMapping.objects.filter(legacy__tree=Tree.LEGACY, legacy__code="66").delete()
    result = load_units()
    assert result["units_updated"] == 1
    assert result["mappings_created"] == 1
    unit.refresh_from_db()
    assert unit.name == "Đắk Lắk"


def test_management_command(capsys):
    call_command("load_units")
    out = capsys.readouterr().out
    assert "current_provinces: 34" in out
    assert "source: vietnamadminunits" in out


@pytest.mark.parametrize(
    ("province", "commune", "expected"),
    [
        ("Đắk Lắk", "Xã Ea H'Leo", "Xã Ea H’leo"),
        ("dak lak", "ea hleo", "Xã Ea H’leo"),
        ("66", "Phường Buôn Ma Thuột", "Phường Buôn Ma Thuột"),
        (66, "buon ma thuot", "Phường Buôn Ma Thuột"),
        ("Thành phố Hà Nội", "ba dinh", "Phường Ba Đình"),
        ("Hà Nội", "PHƯỜNG  BA ĐÌNH", "Phường Ba Đình"),
        ("TP. Hồ Chí Minh", "đặc khu côn đảo", "Đặc khu Côn Đảo"),
        ("Huế", "Chân Mây - Lăng Cô", "Xã Chân Mây – Lăng Cô"),
    ],
)
def test_find_commune(province, commune, expected):
    unit = find_commune(province, commune)
    assert unit is not None
    assert unit.name == expected
    assert unit.tree == Tree.CURRENT


def test_find_commune_not_found():
    assert find_commune("Đắk Lắk", "Phường Ba Đình") is None
    assert find_commune("Nowhere", "Ba Đình") is None
    assert find_commune("Hà Nội", "") is None


def test_find_province():
    assert find_province("tinh dak lak").code == "66"
    assert find_province("Đắk Nông") is None  # no longer a province
    assert find_province("Đắk Nông", tree=Tree.LEGACY).code == "67"


def test_find_commune_legacy_tree():
    unit = find_commune("Hà Nội", "Trúc Bạch", tree=Tree.LEGACY)
    assert unit is not None
    assert unit.parent.name == "Quận Ba Đình"
