"""`?page=` as every list page reads it."""

from __future__ import annotations

import pytest

from bankcrm.web.pages import MAX_PAGE, page_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 1),
        ("", 1),
        ("  ", 1),
        ("3", 3),
        (" 7 ", 7),
        (str(MAX_PAGE), MAX_PAGE),
        (str(MAX_PAGE + 1), None),
        ("0", None),
        ("-2", None),
        ("2.5", None),
        ("abc", None),
    ],
)
def test_page_number(raw: str | None, expected: int | None) -> None:
    assert page_number(raw) == expected
