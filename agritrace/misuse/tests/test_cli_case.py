import pytest
from django.core.management import CommandError, call_command

from agritrace.misuse.models import Rule

from .officer import cases_fixture  # noqa: F401  (the `cases` fixture)

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("misuse_case", *args, stdout=out)
    return out.getvalue()


def test_the_steps_from_the_command_line(world, cases):
    case = cases["area"]
    assert "open" in run("show", str(case.pk), "--as", "ppo_user")
    assert "under_review" in run("review", str(case.pk), "--as", "ppo_user", "--note", "Looking")
    with pytest.raises(CommandError, match="reason"):
        run("dismiss", str(case.pk), "--as", "ppo_user")
    run("confirm", str(case.pk), "--as", "ppo_user")
    out = run("act", str(case.pk), "--as", "ppo_user", "--action", "warning", "--reason", "Stop")
    assert "actioned · warning" in out
    with pytest.raises(CommandError, match="status"):
        run("confirm", str(case.pk), "--as", "ppo_user")


def test_wrong_role_and_scope_are_refused(world, cases):
    with pytest.raises(CommandError, match="Only the authorities and the communes"):
        run("review", str(cases["area"].pk), "--as", "exporter_user")
    with pytest.raises(CommandError, match="scope"):
        run("review", str(cases["other_province"].pk), "--as", "ppo_user")
    with pytest.raises(CommandError, match="may not"):
        run("confirm", str(cases["area"].pk), "--as", "commune_user")


def test_rule_thresholds_from_the_command_line(world):
    out = run(
        "rule", "house_over_capacity", "--as", "ppo_user", "--set", "tolerance=1.4", "--disable"
    )
    assert '"tolerance": 1.4' in out and "enabled=False" in out
    assert not Rule.objects.get(code="house_over_capacity").enabled
    with pytest.raises(CommandError, match="positive"):
        run("rule", "house_over_capacity", "--as", "ppo_user", "--set", "tolerance=0")
    with pytest.raises(CommandError, match="may not"):
        run("rule", "house_over_capacity", "--as", "commune_user", "--enable")
