"""Translations: the Vietnamese catalogue is complete, the committed .mo files match the .po
files, Vietnamese is the default language of the web UI and the language switch works.

The .po files are read with a small parser here (no polib), so these tests need neither polib
nor the gettext tools: they run wherever the service runs."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

import agritrace.settings as project_settings

LOCALE = Path(project_settings.BASE_DIR) / "locale"
VI_PO = LOCALE / "vi" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"

# Words of the public page in each language (the page title and its heading).
VI_TITLE = "Tra cứu mã số công khai"
VI_HEADING = "Danh sách công khai mã số vùng trồng và mã số cơ sở đóng gói"
EN_TITLE = "Public code register"
EN_HEADING = "Public register of planting area and packing house codes"


# ------------------------------------------------------------------ a small .po reader

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], text[1:-1])


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int | None, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def translations(self) -> list[str]:
        return list(self.msgstr.values())


def read_po(path: Path) -> list[Entry]:
    """Every active entry of a .po file, the header (msgid "") first. Obsolete entries (#~)
    are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate([*lines, ""], start=1):
        if not line.strip():
            if current is not None:
                entries.append(current)
            current, target = None, None
            continue
        if current is None:
            current = Entry(line=number)
        if line.startswith("#"):
            if line.startswith("#,"):
                current.flags |= {f.strip() for f in line[2:].split(",")}
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index) if index is not None else None)
                current.msgstr[target[1]] = value
            else:
                target = (keyword, None)
                setattr(current, keyword, value)
            continue
        assert line.startswith('"') and target is not None, f"{path}:{number}: {line!r}"
        if target[0] == "msgstr":
            current.msgstr[target[1]] += _unquote(line)
        else:
            setattr(current, target[0], getattr(current, target[0]) + _unquote(line))
    # Entries made only of comments (such as obsolete #~ entries) have no msgid line.
    return [e for e in entries if e.msgstr]


def header(entries: list[Entry]) -> dict[str, str]:
    assert entries[0].msgid == "", "the header entry comes first"
    pairs = [line.split(":", 1) for line in entries[0].msgstr[None].splitlines() if ":" in line]
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.fixture(scope="module")
def vi_entries() -> list[Entry]:
    return read_po(VI_PO)


def test_the_parser_reads_plural_and_multiline_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: vi\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#, python-format\nmsgid "%(n)s code"\nmsgid_plural "%(n)s codes"\nmsgstr[0] "%(n)s mã"\n\n'
        '#, fuzzy\nmsgid ""\n"Two "\n"lines"\nmsgstr "Hai \\"dòng\\""\n\n'
        '#~ msgid "Old"\n#~ msgstr "Cũ"\n',
        encoding="utf-8",
    )
    entries = read_po(po)
    assert [e.msgid for e in entries] == ["", "%(n)s code", "Two lines"]
    assert header(entries) == {"Language": "vi", "Plural-Forms": "nplurals=1; plural=0;"}
    assert entries[1].msgid_plural == "%(n)s codes"
    assert entries[1].msgstr == {0: "%(n)s mã"}
    assert entries[2].msgstr == {None: 'Hai "dòng"'}
    assert "fuzzy" in entries[2].flags


# ------------------------------------------------------------------ the catalogues


def test_vietnamese_is_the_default_language():
    assert project_settings.LANGUAGE_CODE == "vi"
    assert [code for code, _name in project_settings.LANGUAGES] == ["vi", "en"]
    assert LOCALE in [Path(p) for p in project_settings.LOCALE_PATHS]


def test_both_catalogues_and_their_compiled_files_are_present():
    for po in (VI_PO, EN_PO):
        assert po.is_file(), po
        assert po.with_suffix(".mo").is_file(), f"{po.with_suffix('.mo')} is not compiled"


def test_vietnamese_header(vi_entries):
    head = header(vi_entries)
    assert head["Language"] == "vi"
    assert head["Content-Type"] == "text/plain; charset=UTF-8"
    assert head["Plural-Forms"] == "nplurals=1; plural=0;"
    assert "fuzzy" not in vi_entries[0].flags


def test_every_vietnamese_entry_is_translated_and_none_is_fuzzy(vi_entries):
    messages = vi_entries[1:]
    assert len(messages) > 500, "the catalogue looks truncated"
    untranslated = [e.msgid for e in messages if not all(s.strip() for s in e.translations)]
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert untranslated == [], f"{len(untranslated)} untranslated: run scripts/messages.sh"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy entries"


def test_plural_entries_have_the_single_vietnamese_form(vi_entries):
    plurals = [e for e in vi_entries[1:] if e.msgid_plural is not None]
    assert plurals, "the templates use {% plural %}: the catalogue should have plural entries"
    for entry in plurals:
        assert list(entry.msgstr) == [0], entry.msgid


_PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_0-9]+\))?[-+ #0]*\d*(?:\.\d+)?[sdifr%]")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def test_translations_keep_placeholders_and_html_tags(vi_entries):
    """A lost or misspelt %(name)s raises KeyError at run time, or shows the raw text."""
    problems = []
    for entry in vi_entries[1:]:
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected = sorted(_PLACEHOLDER.findall(entry.msgid))
        expected_tags = sorted(_TAG.findall(entry.msgid))
        for text in entry.translations:
            if "python-format" in entry.flags or any(_PLACEHOLDER.search(s) for s in sources):
                if sorted(_PLACEHOLDER.findall(text)) != expected:
                    problems.append(("placeholders", entry.msgid, text))
            if sorted(_TAG.findall(text)) != expected_tags:
                problems.append(("tags", entry.msgid, text))
    assert problems == []


def test_the_english_catalogue_lists_the_same_messages(vi_entries):
    en_entries = read_po(EN_PO)
    assert header(en_entries)["Language"] == "en"
    assert {e.msgid for e in en_entries} == {e.msgid for e in vi_entries}
    # English is the source language: its msgstr stay empty and gettext returns the msgid.
    assert all(not s for e in en_entries[1:] for s in e.translations)


def test_the_compiled_catalogue_matches_the_po_file(vi_entries):
    """The committed .mo must be compiled from the current .po: every message, looked up
    through Django's gettext in Vietnamese, gives the .po's translation."""
    stale = []
    with translation.override("vi"):
        for entry in vi_entries[1:]:
            if entry.msgctxt is not None:
                got = translation.pgettext(entry.msgctxt, entry.msgid)
                want = entry.msgstr[None]
            elif entry.msgid_plural is not None:
                got = translation.ngettext(entry.msgid, entry.msgid_plural, 2)
                want = entry.msgstr[0]
            else:
                got = translation.gettext(entry.msgid)
                want = entry.msgstr[None]
            if got != want:
                stale.append((entry.msgid, got, want))
    assert stale == [], (
        f"{len(stale)} messages differ from the .po: run scripts/messages.sh to recompile"
    )


def test_lazy_strings_follow_the_active_language():
    from agritrace.registry.models import CodeStatus

    with translation.override("vi"):
        assert str(CodeStatus.REVOKED.label) == "Đã thu hồi"
    with translation.override("en"):
        assert str(CodeStatus.REVOKED.label) == "Revoked"


# ------------------------------------------------------------------ the web UI


@pytest.fixture
def vietnamese_default(settings):
    """The test settings switch the default to English (conftest); restore the project's."""
    settings.LANGUAGE_CODE = project_settings.LANGUAGE_CODE
    assert django_settings.LANGUAGE_CODE == "vi"


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_public_page_is_vietnamese_without_a_language_preference(client, vietnamese_default):
    response = client.get("/codes/")
    page = _text(response)
    assert response["Content-Language"] == "vi"
    assert '<html lang="vi">' in page
    assert VI_TITLE in page
    assert VI_HEADING in page
    assert "Tất cả các tỉnh" in page  # a lazy form label
    assert EN_HEADING not in page
    assert "Download CSV" not in page


@pytest.mark.django_db
def test_public_page_follows_accept_language_english(client, vietnamese_default):
    response = client.get("/codes/", headers={"accept-language": "en-US,en;q=0.9"})
    page = _text(response)
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in page
    assert EN_TITLE in page
    assert EN_HEADING in page
    assert VI_HEADING not in page


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["fr-FR,fr;q=0.9", "", "*", "zz;q=x"])
def test_an_unsupported_or_garbled_accept_language_falls_back_to_vietnamese(
    client, vietnamese_default, accept
):
    page = _text(client.get("/codes/", headers={"accept-language": accept}))
    assert VI_HEADING in page


@pytest.mark.django_db
def test_the_language_switch_sets_english_and_back(client, vietnamese_default):
    assert VI_HEADING in _text(client.get("/codes/"))

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/codes/"})
    assert response.status_code == 302
    assert response["Location"] == "/codes/"
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = _text(client.get("/codes/"))
    assert EN_HEADING in page and VI_HEADING not in page

    # The cookie wins over the browser's Accept-Language.
    page = _text(client.get("/codes/", headers={"accept-language": "vi"}))
    assert EN_HEADING in page

    client.post("/i18n/setlang/", {"language": "vi", "next": "/codes/"})
    assert VI_HEADING in _text(client.get("/codes/"))


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "xx", "", "../../etc"])
def test_the_language_switch_ignores_a_language_the_site_does_not_offer(
    client, vietnamese_default, language
):
    """Django may still store a language it has catalogues for (French), but the site only
    serves the languages in LANGUAGES: the page stays in the default, Vietnamese."""
    response = client.post("/i18n/setlang/", {"language": language, "next": "/codes/"})
    assert response.status_code == 302
    page = _text(client.get("/codes/"))
    assert VI_HEADING in page and '<html lang="vi">' in page


@pytest.mark.django_db
def test_the_language_switch_does_not_redirect_off_site(client, vietnamese_default):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "https://evil.example/phish"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.django_db
def test_the_page_offers_the_language_switch(client, vietnamese_default):
    page = _text(client.get("/codes/"))
    assert 'action="/i18n/setlang/"' in page
    assert '<option value="vi" lang="vi" selected>' in page


@pytest.mark.django_db
def test_a_listed_code_shows_its_kind_and_status_in_the_page_language(
    client, vietnamese_default, world, durian, markets
):
    from conftest import make_area, walk_to_issued

    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    assert area.code

    page = _text(client.get("/codes/"))
    row = page[page.index(area.code) :]
    row = row[: row.index("</tr>")]
    assert "Vùng trồng" in row and "Đã cấp" in row
    assert "1 mã số" in page

    page = _text(client.get("/codes/", headers={"accept-language": "en"}))
    row = page[page.index(area.code) :]
    row = row[: row.index("</tr>")]
    assert "Planting area" in row and "Issued" in row
    assert "1 code" in page
