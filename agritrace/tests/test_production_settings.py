"""Production settings: `agritrace check --deploy` is clean with the README's production
environment (HSTS, secure cookies, no DEBUG, ...), and every response carries the
Content-Security-Policy (pages, the public stamp pages, the API) and X-Frame-Options."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from agritrace.security import policy, tile_source

ROOT = Path(__file__).resolve().parents[2]


def _check_deploy(tmp_path, **overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGRITRACE_", "DATABASE_URL"))}
    env.update(
        {
            "AGRITRACE_VAR_DIR": str(tmp_path),
            "AGRITRACE_DEBUG": "0",
            "AGRITRACE_HTTPS": "1",
            "AGRITRACE_SECRET_KEY": secrets.token_urlsafe(50),
            "AGRITRACE_ALLOWED_HOSTS": "agritrace.example.gov.vn",
            "AGRITRACE_CSRF_TRUSTED_ORIGINS": "https://agritrace.example.gov.vn",
            "DJANGO_SETTINGS_MODULE": "agritrace.settings",
        }
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-m", "agritrace.cli", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    done = _check_deploy(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_fails_without_https_or_with_debug(tmp_path):
    plain = _check_deploy(tmp_path, AGRITRACE_HTTPS="0")
    assert plain.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in plain.stderr
    debug = _check_deploy(tmp_path, AGRITRACE_DEBUG="1")
    assert debug.returncode != 0 and "security.W018" in debug.stderr


def _assert_protected(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/codes/",
        "/login/",
        "/lookup/",
        "/lookup/?code=VN-DLOR-0001",
        "/01/09506000134352/10/LOT1/21/12345?s=k1.AAAA",  # the public stamp page (forged)
        "/p/VN-DLOR-0001/10/LOT1/21/1",
        "/api/public/codes",
        "/api/docs",
        "/epcis/docs",
        "/healthz",
        "/no-such-page/",
    ],
)
def test_every_public_response_has_the_policy(client, path):
    response = client.get(path)
    assert response.status_code < 500
    _assert_protected(response)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/dashboard/", "/areas/", "/tokens/", "/accounts/profile/"])
def test_staff_pages_have_the_policy_and_their_inline_scripts_the_nonce(client, world, path):
    client.force_login(world.users["ppo"])
    response = client.get(path)
    assert response.status_code == 200
    _assert_protected(response)
    nonce = response["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    page = response.content.decode()
    # every inline script carries this response's nonce
    assert page.count("<script") == page.count('<script src="') + page.count(
        f'<script nonce="{nonce}">'
    )


@pytest.mark.django_db
def test_each_response_gets_a_fresh_nonce(client):
    first = client.get("/codes/")["Content-Security-Policy"]
    second = client.get("/codes/")["Content-Security-Policy"]
    assert first != second


def test_the_policy_allows_the_map_tiles_origin(settings):
    settings.AGRITRACE_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    assert "img-src 'self' data: blob: https://*.tile.example.org" in policy("n")
    assert tile_source("") == "" and tile_source("javascript:alert(1)") == ""
