"""One translation mechanism for every page and message: nothing a person can see lacks its Chinese."""

from gridscreen import i18n
from gridscreen.errors import NotFound
from gridscreen.i18n_extract import messages


def test_every_message_in_the_code_has_a_chinese_translation():
    catalog = i18n.catalog("zh_CN")
    missing = sorted({f"{msgid!r} ({where})" for msgid, where in messages() if not catalog.get(msgid)})
    assert missing == [], "run scripts/update_catalog.py and translate:\n" + "\n".join(missing)


def test_placeholders_survive_translation():
    catalog = i18n.catalog("zh_CN")
    for msgid, translation in catalog.items():
        assert sorted(_fields(msgid)) == sorted(_fields(translation)), msgid


def _fields(text: str) -> list[str]:
    import string

    return [field for _, field, _, _ in string.Formatter().parse(text) if field]


def test_errors_are_chinese_by_default_and_english_on_request():
    error = NotFound("area {area_id} does not exist or is outside your areas", area_id=7)
    assert error.message(i18n.translator(i18n.negotiate(None, None))) == "区域 7 不存在或不在您的辖区内"
    english = i18n.translator(i18n.negotiate(None, "en-GB,en;q=0.8"))
    assert error.message(english) == "area 7 does not exist or is outside your areas"
    assert i18n.negotiate("en", "zh-CN") == "en"
