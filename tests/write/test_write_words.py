from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from pipelines.write.words import format_date_id, format_datetime_id, number_to_words_id


@pytest.mark.parametrize("n, words", [
    (0, "nol"), (1, "satu"), (10, "sepuluh"), (11, "sebelas"), (12, "dua belas"),
    (19, "sembilan belas"), (20, "dua puluh"), (25, "dua puluh lima"), (100, "seratus"),
    (101, "seratus satu"), (111, "seratus sebelas"), (250, "dua ratus lima puluh"),
    (1000, "seribu"), (1001, "seribu satu"), (1234, "seribu dua ratus tiga puluh empat"),
    (2000, "dua ribu"), (11000, "sebelas ribu"), (100000, "seratus ribu"),
    (1000000, "satu juta"), (2500000, "dua juta lima ratus ribu"),
    (1000000000, "satu miliar"), (-5, "minus lima"),
])
def test_number_words(n, words):
    assert number_to_words_id(n) == words


@pytest.mark.parametrize("bad", [True, 2.5, "25"])
def test_number_words_refuses_non_int(bad):
    with pytest.raises(TypeError):
        number_to_words_id(bad)


def test_dates():
    assert format_date_id(date(2026, 11, 21)) == "21 November 2026"
    assert format_date_id(datetime(2026, 1, 2, 9, 30)) == "2 Januari 2026"
    assert format_date_id("2026-08-17") == "17 Agustus 2026"
    assert format_date_id(date(2026, 11, 21), with_day=True) == "Sabtu, 21 November 2026"
    wib = ZoneInfo("Asia/Jakarta")
    assert format_datetime_id(datetime(2026, 11, 21, 14, 5, tzinfo=wib)) == \
        "21 November 2026 pukul 14.05 WIB"


def test_datetimes_are_shown_in_office_time():
    # Naive datetimes are UTC (as the database stores them): 20.00 UTC is the next day in WIB.
    assert format_date_id(datetime(2026, 11, 21, 20, 0)) == "22 November 2026"
    assert format_date_id(datetime(2026, 11, 21, 20, 0, tzinfo=timezone.utc)) == "22 November 2026"
    assert format_date_id("2026-11-21T20:00:00+00:00") == "22 November 2026"
    assert format_date_id("2026-11-21") == "21 November 2026"
    assert format_datetime_id(datetime(2026, 11, 21, 7, 5)) == "21 November 2026 pukul 14.05 WIB"
