"""The public code register in Chinese (issue 17 item 11), as the public stamp page already is
(stamps/strings.py). The project keeps no Chinese gettext catalogue (its catalogues are the
translators'), so the register's words in Chinese live here, keyed by their English msgids,
and `chinese()` makes them the active translation while the page is drawn: the templates keep
their `{% translate %}` and the Vietnamese and English pages are unchanged. A msgid missing
here shows in English, never in Vietnamese. Django's own words and formats follow zh-hans.

Who gets it: `?lang=zh`, or the public lookup's saved choice (its cookie), or a browser asking
for Chinese before Vietnamese and English (stamps.views.choose_language).
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from django.utils.translation import trans_real

LANGUAGE = "zh-hans"

#: English msgid → Chinese, for the register page and the layout a visitor sees around it.
ZH: dict[str, str] = {
    # layout
    "Skip to main content": "跳到主要内容",
    "Planting area & packing house codes": "种植区与包装厂代码",
    "Traceability registry": "溯源登记系统",
    "Main navigation": "主导航",
    "Menu": "菜单",
    "Public code register": "公开代码登记册",
    "Check a stamp": "查验溯源标签",
    "Log in": "登录",
    "Language": "语言",
    "Change": "更改",
    "Dismiss": "关闭",
    "Register of planting area codes and packing house codes": "种植区代码与包装厂代码登记册",
    # the page
    "Public register of planting area and packing house codes": "种植区与包装厂代码公开登记册",
    "Download CSV": "下载 CSV",
    "Download Excel": "下载 Excel",
    "Codes issued by the provincial authorities, with the markets they are registered for. "
    "Markets marked ✓ have been approved by the importing country. No personal data is "
    "published.": "由各省主管部门签发的代码及其登记的目标市场。标有 ✓ 的市场已获进口国批准。"
    "不公开任何个人信息。",
    "Code or name": "代码或名称",
    "Province": "省份",
    "Crop": "作物",
    "Market": "市场",
    "Status": "状态",
    "Kind": "类别",
    "All provinces": "所有省份",
    "All crops": "所有作物",
    "All markets": "所有市场",
    "All statuses": "所有状态",
    "All kinds": "所有类别",
    "Planting area": "种植区",
    "Packing house": "包装厂",
    "Filter": "筛选",
    "Clear": "清除",
    "Codes": "代码",
    "Code": "代码",
    "Name": "名称",
    "Commune / ward": "乡/坊",
    "Area (ha)": "面积（公顷）",
    "Markets": "市场",
    "Issue date": "签发日期",
    "Approved by the importing country": "已获进口国批准",
    "Not yet approved by the importing country": "尚未获进口国批准",
    "No code matches these filters.": "没有符合筛选条件的代码。",
    "No code": "无代码",
    "Issued": "已签发",
    "Suspended": "已暂停",
    "Revoked": "已撤销",
    "Pages": "页码",
    "Previous": "上一页",
    "Next": "下一页",
    "%(first)s–%(last)s of %(total)s": "第 %(first)s–%(last)s 条，共 %(total)s 条",
    "Page %(number)s of %(total)s": "第 %(number)s 页，共 %(total)s 页",
}
#: Plural msgids (singular form) → Chinese, which has one form.
ZH_PLURAL: dict[str, str] = {
    "%(counter)s code": "%(counter)s 个代码",
}


@lru_cache(maxsize=1)
def _django_chinese() -> trans_real.DjangoTranslation:
    """Django's own zh-hans catalogue without the site's default language behind it (which
    would answer the register's words in Vietnamese)."""
    found = trans_real.DjangoTranslation(LANGUAGE)
    found._fallback = None
    return found


class ChineseTranslation(gettext_module.NullTranslations):
    """A translation object as Django's (gettext, ngettext, to_language), from ZH; Django's
    own zh-hans catalogue for the rest (form errors, month names), English last."""

    def __init__(self) -> None:
        super().__init__()
        self._django = _django_chinese()

    def gettext(self, message: str) -> str:
        if message in ZH:
            return ZH[message]
        if "\x04" in message:  # pgettext: context + EOT + message
            plain = message.split("\x04", 1)[1]
            if plain in ZH:
                return ZH[plain]
        found = self._django.gettext(message)
        return message if found == message else found

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if singular in ZH_PLURAL:
            return ZH_PLURAL[singular]
        return self._django.ngettext(singular, plural, n)

    def to_language(self) -> str:
        return LANGUAGE

    def language(self) -> str:
        return LANGUAGE


def wants_chinese(request) -> bool:
    """Whether this visitor reads the public register in Chinese (see the module)."""
    from agritrace.stamps.views import choose_language

    asked = request.GET.get("lang", "")
    if asked:
        return asked == "zh"
    if request.user.is_authenticated:
        return False  # signed-in people read their saved language
    return choose_language(request) == "zh"


@contextmanager
def chinese() -> Iterator[None]:
    """The register's words in Chinese while the block runs (the page is drawn inside it)."""
    previous = getattr(trans_real._active, "value", None)
    trans_real._active.value = ChineseTranslation()
    try:
        yield
    finally:
        if previous is None:
            del trans_real._active.value
        else:
            trans_real._active.value = previous
