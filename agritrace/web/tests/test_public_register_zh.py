"""The public code register in Chinese too (issue 17 item 11), as the stamp page is: for
?lang=zh, the stamp lookup's saved choice, or a visitor's browser asking for Chinese; the
layout around it too; the Vietnamese and English pages unchanged; signed-in people keep
their saved language."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from agritrace.tests.walk import ENGLISH
from conftest import make_area, walk_to_issued

pytestmark = pytest.mark.django_db

ENGLISH_WORD = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<(select|option)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<a [^>]*lang="(vi|en)"[^>]*>.*?</a>', " ", html, flags=re.S)  # the switch
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def issued(world):
    area, app = make_area(world, households=1)
    walk_to_issued(world, app)
    area.refresh_from_db()
    return area


def test_the_register_in_chinese_for_who_asks(issued):
    response = Client().get(reverse("public-codes"), {"lang": "zh"})
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-Hans"
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    text = visible_text(html)
    for words in ("种植区与包装厂代码公开登记册", "筛选", "签发日期", "已签发", "1 个代码", "登录"):
        assert words in text, words
    assert issued.code in text
    assert not ENGLISH_WORD.findall(text), ENGLISH_WORD.findall(text)
    assert "Mã" not in text and "Đăng nhập" not in text  # no Vietnamese fallback either
    # The language links keep the filters and name the other languages.
    assert 'lang="vi"' in html and 'lang="en"' in html and 'aria-current="true">中文' in html


def test_a_chinese_browser_gets_it_without_asking_and_staff_keep_their_language(world, issued):
    chinese = {"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"}
    assert "公开登记册" in Client().get(reverse("public-codes"), headers=chinese).content.decode()
    staff = Client()
    staff.force_login(world.users["ppo"])
    page = staff.get(reverse("public-codes"), headers=chinese).content.decode()
    assert "公开登记册" not in page


def test_the_english_and_vietnamese_registers_are_unchanged(issued):
    english = Client().get(reverse("public-codes"), {"lang": "en"}).content.decode()
    assert "Public register of planting area and packing house codes" in english
    assert '<html lang="en">' in english
    vietnamese = Client().get(reverse("public-codes"), {"lang": "vi"}).content.decode()
    assert '<html lang="vi">' in vietnamese and "公开" not in vietnamese
    assert "Public register of planting area" not in vietnamese


def test_after_the_chinese_page_the_next_request_is_not_chinese(issued):
    client = Client()
    client.get(reverse("public-codes"), {"lang": "zh"})
    page = client.get(reverse("public-codes"), headers={"accept-language": "en"}).content.decode()
    assert "公开" not in page and '<html lang="en">' in page
