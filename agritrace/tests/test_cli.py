import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from agritrace.accounts.models import ApiToken, Membership, Organisation, OrgKind, Role
from agritrace.audit.models import AuditEntry
from agritrace.cli import main
from agritrace.registry.models import PlantingArea, Plot
from conftest import make_area


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """main() closes every database connection when a command ends, as Django's command line
    does; in a test that would end the test's transaction (on PostgreSQL)."""
    monkeypatch.setattr(connections, "close_all", lambda: None)


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# ------------------------------------------------------------------ agritrace --help


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["help"], []])
def test_help_lists_agritrace_commands(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    for command in (
        "migrate",
        "demo",
        "createuser",
        "areas export",
        "areas import",
        "audit verify",
        "tokens",
        "serve",
        "up",
    ):
        assert f"\n  {command}" in out
    assert "Any Django management command" in out


def test_an_unknown_command_fails(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 1
    assert "Unknown command" in capsys.readouterr().err


def test_django_commands_pass_through(capsys):
    main(["help", "areas"])
    out = capsys.readouterr().out
    assert "usage: agritrace areas" in out
    assert "export|import" in out


# ------------------------------------------------------------------ audit verify


@pytest.mark.django_db
def test_audit_verify_passes_an_untouched_log(world, capsys):
    make_area(world, households=2)
    entries = AuditEntry.objects.count()
    main(["audit", "verify"])
    assert capsys.readouterr().out.strip() == f"{entries} audit entries checked: OK."


@pytest.mark.django_db
def test_audit_verify_finds_an_edited_entry(world, capsys):
    make_area(world, households=2)
    AuditEntry.objects.filter(seq=3).update(reason="nothing happened")  # bypasses save()
    with pytest.raises(SystemExit) as exc:
        main(["audit", "verify"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "entry 3: content does not match its hash (edited)" in err
    assert "tampered" in err


@pytest.mark.django_db
def test_audit_verify_finds_a_deleted_entry(world, capsys):
    make_area(world, households=2)
    AuditEntry.objects.filter(seq=4).delete()  # a queryset delete bypasses the model's guard
    with pytest.raises(SystemExit) as exc:
        main(["audit", "verify"])
    assert exc.value.code == 1
    assert "entries 4..4 are missing (deleted)" in capsys.readouterr().err


@pytest.mark.django_db
def test_audit_verify_finds_the_last_entry_deleted(world):
    make_area(world, households=1)
    last = AuditEntry.objects.order_by("-seq").first().seq
    AuditEntry.objects.filter(seq=last).delete()
    with pytest.raises(CommandError, match="tampered"):
        run("audit", "verify")


def test_audit_needs_a_subcommand():
    with pytest.raises(CommandError):
        call_command("audit")


# ------------------------------------------------------------------ createorganisation


@pytest.mark.django_db
def test_createorganisation_places_it_on_its_unit():
    out, _err = run(
        "createorganisation",
        "--name=HTX Sầu riêng Ea Tul",
        "--kind=representative",
        "--province=dak lak",
        "--commune=Ea Tul",
        "--tax-code=6001234567",
    )
    org = Organisation.objects.get(name="HTX Sầu riêng Ea Tul")
    assert (org.kind, org.unit.name, org.unit.parent.name) == (
        OrgKind.REPRESENTATIVE,
        "Xã Ea Tul",
        "Đắk Lắk",
    )
    assert f"Created organisation {org.pk}" in out
    run("createorganisation", "--name=Sở NN&MT", "--kind=province_department", "--province=66")
    assert Organisation.objects.get(kind=OrgKind.PROVINCE).unit.name == "Đắk Lắk"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind=commune", "--province=Đắk Lắk"], "needs --commune"),
        (["--kind=representative", "--province=Atlantis"], "Unknown province"),
        (["--kind=representative", "--province=Đắk Lắk", "--commune=Nowhere"], "No single"),
        (["--kind=province_department", "--province=Đắk Lắk", "--commune=Ea Tul"], "authority"),
        (["--kind=king", "--province=Đắk Lắk"], "invalid choice"),
    ],
)
def test_createorganisation_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        run("createorganisation", "--name=X", *args)
    assert not Organisation.objects.exists()


# ------------------------------------------------------------------ createuser


@pytest.mark.django_db
def test_createuser_adds_a_member(world):
    org = world.orgs["coop"]
    out, _err = run(
        "createuser",
        "--username=lan",
        "--password=Trong-sau-rieng-2026",
        "--email=lan@example.org",
        f"--organisation-id={org.pk}",
        "--role=staff",
    )
    user = get_user_model().objects.get(username="lan")
    assert user.check_password("Trong-sau-rieng-2026")
    assert user.email == "lan@example.org"
    membership = Membership.objects.get(user=user)
    assert (membership.organisation, membership.role) == (org, Role.STAFF)
    assert "Created lan" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--username=coop_user", "--password=Trong-sau-rieng-2026"], "taken"),
        (
            ["--username=new", "--password=Trong-sau-rieng-2026", "--organisation-id=999999"],
            "No organisation",
        ),
        (["--username=new", "--password=123"], "too short"),
        (["--password=Trong-sau-rieng-2026"], "--username"),
    ],
)
def test_createuser_refuses_bad_input(world, args, message):
    if not any(a.startswith("--organisation-id") for a in args):
        args = [*args, f"--organisation-id={world.orgs['coop'].pk}"]
    users = get_user_model().objects.count()
    with pytest.raises(CommandError) as exc:
        run("createuser", *args)
    assert message in str(exc.value)
    assert get_user_model().objects.count() == users


@pytest.mark.django_db
def test_createuser_refuses_an_unknown_role(world):
    with pytest.raises(CommandError):
        run("createuser", "--username=x", "--password=p", "--organisation-id=1", "--role=king")


@pytest.mark.django_db
def test_createuser_lists_organisations(world):
    out, _err = run("createuser", "--list-organisations")
    assert f"{world.orgs['ppo'].pk:>5}" in out
    assert "Chi cục Đồng Tháp" in out


# ------------------------------------------------------------------ tokens


@pytest.mark.django_db
def test_tokens_create_prints_the_token_once(world):
    out, err = run("tokens", "create", "--username=coop_user", "--name=sync")
    raw = out.strip()
    token = ApiToken.find_active(raw)
    assert token is not None and token.user == world.users["coop"] and token.name == "sync"
    assert "only this once" in err
    listed, _err = run("tokens", "list")
    assert raw not in listed and token.prefix in listed and "sync" in listed


@pytest.mark.django_db
def test_tokens_revoke(world):
    out, _err = run("tokens", "create", "--username=coop_user", "--name=sync")
    token = ApiToken.find_active(out.strip())
    run("tokens", "revoke", str(token.pk))
    assert ApiToken.find_active(out.strip()) is None
    with pytest.raises(CommandError):
        run("tokens", "revoke", "999999")


@pytest.mark.django_db
def test_tokens_need_a_user_with_an_organisation(world):
    get_user_model().objects.create_user(username="loner", password="x")
    with pytest.raises(CommandError, match="no organisation"):
        run("tokens", "create", "--username=loner", "--name=x")
    with pytest.raises(CommandError, match="No active user"):
        run("tokens", "create", "--username=nobody", "--name=x")
    assert not ApiToken.objects.exists()


# ------------------------------------------------------------------ areas export / import


@pytest.mark.django_db
def test_areas_export_writes_each_format(world, tmp_path):
    make_area(world, households=2)
    out, _err = run("areas", "export", "--format=geojson")
    assert len(json.loads(out)["features"]) == 2
    out, _err = run("areas", "export", "--format=csv", "--as=other_coop_user")
    assert out.splitlines() == [out.splitlines()[0]]  # header only: nothing of theirs
    target = tmp_path / "plots.xlsx"
    _out, err = run("areas", "export", "--format=xlsx", f"--output={target}")
    assert target.read_bytes()[:2] == b"PK"
    assert "plots.xlsx" in err
    with pytest.raises(CommandError, match="--output"):
        run("areas", "export", "--format=xlsx")


@pytest.mark.django_db
def test_areas_import_round_trip(world, tmp_path):
    make_area(world, households=2)
    target = tmp_path / "plots.geojson"
    run("areas", "export", f"--output={target}", "--as=coop_user")
    doc = json.loads(target.read_text())
    for feature in doc["features"]:
        feature["properties"]["area"] = "Vùng mới"
        feature["properties"]["label"] += "b"
    target.write_text(json.dumps(doc))
    out, _err = run("areas", "import", str(target), "--as=coop_user")
    assert "1 areas, 0 households and 2 plots created" in out
    assert PlantingArea.objects.filter(name="Vùng mới").get().households.count() == 2


@pytest.mark.django_db
def test_a_failed_import_names_the_feature_and_keeps_nothing(world, tmp_path, capsys):
    make_area(world, households=2)
    target = tmp_path / "plots.geojson"
    run("areas", "export", f"--output={target}")
    doc = json.loads(target.read_text())
    doc["features"][1]["geometry"]["coordinates"] = [[[0, 0], [1, 0], [1, 1], [0, 0]]]
    doc["features"][0]["properties"]["label"] = "new"
    target.write_text(json.dumps(doc, indent=1))
    plots = Plot.objects.count()
    with pytest.raises(SystemExit) as exc:
        main(["areas", "import", str(target), "--as", "coop_user"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "Feature 2 (line " in err and "geometry" in err and "Vietnam" in err
    assert "Nothing was imported: 1 problem(s)." in err
    assert Plot.objects.count() == plots


@pytest.mark.django_db
def test_areas_import_checks_the_person(world, tmp_path):
    target = tmp_path / "plots.geojson"
    target.write_text('{"type": "FeatureCollection", "features": [{}]}')
    with pytest.raises(CommandError, match="No active user"):
        run("areas", "import", str(target), "--as=nobody")
    with pytest.raises(CommandError, match="may not"):
        run("areas", "import", str(target), "--as=exporter_user")
    with pytest.raises(CommandError, match="Cannot read"):
        run("areas", "import", str(tmp_path / "missing.json"), "--as=coop_user")
    with pytest.raises(CommandError):
        run("areas", "import", str(target))  # --as is required


# ------------------------------------------------------------------ demo, serve, up


@pytest.mark.django_db
def test_demo_refuses_a_database_with_records(world):
    with pytest.raises(CommandError, match="empty registry"):
        run("demo")
    assert not get_user_model().objects.filter(username="officer").exists()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "sqlite", reason="--reset is allowed on SQLite")
def test_demo_reset_is_refused_outside_sqlite():
    with pytest.raises(CommandError, match="refused"):
        run("demo", "--reset")
    assert PlantingArea.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="--reset only works on SQLite")
def test_demo_reset_starts_again_on_sqlite(world):
    out, _err = run("demo", "--reset")
    assert "Deleting every record" in out
    assert "Demo data created" in out
    assert "VN-DLOR-0001" in out
    assert not get_user_model().objects.filter(username="coop_user").exists()
    assert get_user_model().objects.filter(username="officer").exists()
    out, _err = run("demo")
    assert "already present" in out


@pytest.fixture
def no_server(monkeypatch):
    """The servers replaced by recorders: (kind, application, options) per start."""
    calls = []
    from agritrace import server

    monkeypatch.setattr(
        server,
        "run_gunicorn",
        lambda app, host, port, workers, threads: calls.append(
            ("gunicorn", app, {"host": host, "port": port, "workers": workers, "threads": threads})
        ),
    )
    monkeypatch.setattr(
        server,
        "run_waitress",
        lambda app, host, port, threads: calls.append(
            ("waitress", app, {"host": host, "port": port, "threads": threads})
        ),
    )
    yield calls
    from agritrace import site

    site.clear_served()  # serve/up remember the address served on: not for the next tests


@pytest.mark.django_db
def test_serve_runs_gunicorn_with_workers_from_the_cores(no_server, settings):
    from agritrace import server

    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
    out, _err = run("serve", "--port=8123", "--host=0.0.0.0")
    ((kind, app, kwargs),) = no_server
    assert kind == "gunicorn" and callable(app)
    # the local memory cache is per process: one worker unless the cache is shared
    assert kwargs == {"host": "0.0.0.0", "port": 8123, "workers": 1, "threads": 4}
    assert "http://0.0.0.0:8123/" in out
    assert "AGRITRACE_ALLOWED_HOSTS" in out
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    run("serve", "--port=8123")
    assert no_server[-1][2]["workers"] == server.cpu_count()
    out, _err = run("serve", "--workers=3", "--threads=2")
    assert no_server[-1][2] == {"host": "127.0.0.1", "port": 8000, "workers": 3, "threads": 2}
    assert "3 worker processes" in out


@pytest.mark.django_db
def test_serve_runs_waitress_when_asked(no_server, settings):
    out, _err = run("serve", "--server=waitress", "--port=8125")
    ((kind, app, kwargs),) = no_server
    assert kind == "waitress" and callable(app)
    assert kwargs == {"host": "127.0.0.1", "port": 8125, "threads": 8}
    assert "waitress" in out


@pytest.mark.django_db
def test_serve_warns_that_workers_without_redis_do_not_share_their_cache(no_server):
    out, _err = run("serve", "--workers=2")
    assert no_server[-1][2]["workers"] == 2
    assert "AGRITRACE_REDIS_URL" in out


@pytest.mark.django_db
def test_up_prepares_the_demo_and_serves(no_server, settings, client):
    from agritrace import site

    settings.SITE_URL = ""
    settings.AGRITRACE_STAMP_DOMAIN = ""
    out, _err = run("up", "--port=8124")
    site.clear_served()
    assert "adding the demo province" in out
    assert "Open http://127.0.0.1:8124/" in out
    assert "officer" in out and "demo12345" in out
    assert len(no_server) == 1
    # One stamp link to scan, on the port served (issue 14, issue 17 item 8), that opens.
    (line,) = [x for x in out.splitlines() if "A stamp to scan" in x]
    link = line.split(": ", 1)[1]
    assert link.startswith("http://127.0.0.1:8124/p/") or link.startswith(
        "http://127.0.0.1:8124/01/"
    ), link
    assert client.get(link[len("http://127.0.0.1:8124") :]).status_code == 200
    out, _err = run("up", "--port=8124")
    assert "adding the demo" not in out
    assert "inspector" in out


@pytest.mark.django_db
def test_up_does_not_add_the_demo_to_a_registry_in_use(world, no_server):
    out, _err = run("up", "--no-demo")
    assert "demo" not in out.lower().replace("demo logins", "")
    out, _err = run("up")
    assert "adding the demo" not in out and "Demo logins" not in out
    assert len(no_server) == 2


@pytest.mark.django_db
def test_login_page_lists_demo_logins_only_on_a_demo(client, settings):
    from agritrace.demo import build_demo

    build_demo()
    settings.AGRITRACE_SHOW_DEMO_LOGINS = False
    assert "demo12345" not in client.get("/login/").content.decode()
    settings.AGRITRACE_SHOW_DEMO_LOGINS = True
    page = client.get("/login/").content.decode()
    assert "demo12345" in page
