"""`agritrace reports` acting as a person, and the report's files: the PDF's pages rendered to
PNG with their Vietnamese text, the workbook opened by LibreOffice where it is installed, a
submitted version refused any further save."""

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from agritrace.notifications.models import Notification
from agritrace.reports import deadlines
from agritrace.reports.models import PeriodicReport, Target

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("reports", *args, stdout=out)
    return out.getvalue()


def test_the_command_sets_targets_generates_and_submits(world, issued_area, tmp_path):
    year = str(timezone.localdate().year)
    out = run("target", "--as", "ppo_user", "--metric", "area_codes", "--year", year,
              "--value", "3", "--source", "cli plan")  # fmt: skip
    assert Target.objects.get().value == 3 and out.startswith("#")
    assert "1 / 3.00" in run("achieved", "--as", "ppo_user", "--codes")
    with pytest.raises(CommandError, match="unit"):
        run("target", "--as", "ppo_user", "--metric", "hectares", "--year", year, "--value",
            "1", "--source", "x", "--unit", "Nowhere")  # fmt: skip
    with pytest.raises(CommandError):
        run("target", "--as", "coop_user", "--metric", "hectares", "--year", year, "--value",
            "1", "--source", "x")  # fmt: skip
    out = run("generate", "half_year", "--as", "ppo_user", "--year", year, "--output",
              str(tmp_path))  # fmt: skip
    files = sorted(p.suffix for p in tmp_path.iterdir())
    assert files == [".pdf", ".xlsx"]
    report = PeriodicReport.objects.get()
    assert "submitted" in run("submit", str(report.pk), "--as", "ppo_user")
    assert str(report.pk) in run("list", "--as", "ministry_user")
    with pytest.raises(CommandError, match="future"):
        run("generate", "annual", "--as", "ppo_user", "--year", year, "--end",
            str(timezone.localdate() + timedelta(days=3)))  # fmt: skip


def test_remind_runs_once_a_step(world):
    due = deadlines.due_on("annual", timezone.localdate().year)
    today = str(due - timedelta(days=10))
    first = run("remind", "--today", today)  # each province with an authority
    assert "Đắk Lắk: annual" in first and "2 reminder(s) sent." in first
    assert "0 reminder(s) sent." in run("remind", "--today", today)
    assert Notification.objects.filter(organisation=world.orgs["province"]).count() == 1


def test_a_submitted_report_is_frozen_and_its_pdf_renders(world, issued_area, tmp_path):
    from agritrace.reports import periodic

    report = periodic.generate(world.actor("ppo"), "half_year", timezone.localdate().year)
    periodic.submit(world.actor("ppo"), report.pk)
    report.refresh_from_db()
    report.pdf = b"edited"
    with pytest.raises(ValueError, match="frozen"):
        report.save()
    import pypdfium2

    pdf = pypdfium2.PdfDocument(bytes(PeriodicReport.objects.get().pdf))
    text = pdf[0].get_textpage().get_text_range()
    assert "BÁO CÁO 6 THÁNG" in text and "ĐẮK LẮK" in text and "Mã số vùng trồng" in text
    from agritrace.tests.browser import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    for i, page in enumerate(pdf):  # looked at by a person: test-artifacts/screenshots/
        page.render(scale=1.2).to_pil().save(SHOTS / f"reports-pdf-page{i + 1}.png")
    assert (SHOTS / "reports-pdf-page1.png").stat().st_size > 10_000


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_workbook(world, issued_area, tmp_path):
    from agritrace.reports import periodic

    report = periodic.generate(world.actor("ppo"), "annual", timezone.localdate().year)
    source = tmp_path / "report.xlsx"
    source.write_bytes(bytes(report.xlsx))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        timeout=180,
        capture_output=True,
    )
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(tmp_path / "report.pdf"))
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    assert "BÁO CÁO NĂM" in text and "Mã số vùng trồng" in text
    assert "#NAME" not in text and "Err:" not in text  # every formula computed
