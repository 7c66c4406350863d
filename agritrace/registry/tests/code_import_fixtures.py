"""Shared by the tests of the existing-codes import: a workbook in the published lists'
column order and two sample rows (an area suspended and reinstated, a house revoked)."""

import io
from datetime import date, datetime, time

from django.utils import timezone

HEADER = [
    "STT",
    "Mã số",
    "Tên",
    "Tổ chức/cá nhân đại diện",
    "Xã/phường",
    "Tỉnh",
    "Cây trồng",
    "Giống",
    "Diện tích (ha)",
    "Ngày cấp",
    "Thị trường",
    "Ngày tạm dừng",
    "Lý do tạm dừng",
    "Ngày khôi phục",
    "Ngày thu hồi",
    "Lý do thu hồi",
]


def workbook(rows, header=HEADER, title_rows=1) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for _i in range(title_rows):
        sheet.append(["DANH SÁCH MÃ SỐ VÙNG TRỒNG ĐƯỢC CẤP"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def local(day: date, hour: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def sample_rows(commune) -> list[list]:
    return [
        # a durian area issued, approved by China, suspended and reinstated
        [
            1,
            "VN-DLOR-017",
            "Vùng sầu riêng Ea Tul 1",
            "HTX Sầu riêng Ea Tul",
            commune.name,
            "Đắk Lắk",
            "durian",
            "Ri6",
            "12.5",
            "12/09/2022",
            "CN=2022-09-20",
            "2024-03-01",
            "Quarantine pest found",
            "2024-05-02",
            None,
            None,
        ],
        # a packing house, later revoked, written without the first hyphen
        [
            2,
            "VNDLPH-0036",
            "Cơ sở đóng gói Phúc Thịnh 2",
            "Công ty Phúc Thịnh mới",
            commune.code,
            None,
            "Sầu riêng",
            None,
            None,
            date(2023, 1, 5),
            "CN=2023-02-01",
            None,
            None,
            None,
            "2025-11-20",
            "Code used by another firm",
        ],
    ]
