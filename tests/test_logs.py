import logging

from gridscreen import logs


def test_id_numbers_and_phones_in_a_logged_url_are_masked(caplog):
    logs.install()
    logger = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logger.info('%s - "GET %s HTTP/1.1" 200', "127.0.0.1", "/api/persons?q=11010519491231002X&p=13812345678")
    text = caplog.text
    assert "11010519491231002X" not in text and "13812345678" not in text
    assert "110***********002X" in text and "138****5678" in text


def test_ordinary_numbers_are_left_alone():
    assert logs.mask_text("area 310115001 has 4213 residents") == "area 310115001 has 4213 residents"
