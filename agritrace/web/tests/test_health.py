from django.test import Client


def test_it_answers_without_login_or_database():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_it_answers_head_for_monitors():
    response = Client().head("/healthz")
    assert response.status_code == 200
    assert response.content == b""
