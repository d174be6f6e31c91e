"""Query-string values for list pages (/listen, /organisers): one reading for both."""

from __future__ import annotations

from groundswell.core.search import query_row_id, query_text, query_words, search_words


def test_control_characters_become_spaces_and_ends_are_trimmed() -> None:
    assert query_text(" a\x00b\tc ") == "a b c"
    assert query_text(None) == ""
    assert query_words(" two\x00\x00words  here ") == "two words here"


def test_search_words_are_cut_with_a_message() -> None:
    errors: dict[str, str] = {}
    assert search_words({"q": " lights   fixed "}, errors, max_length=20) == "lights fixed"
    assert errors == {}
    assert search_words({"q": "x" * 12}, errors, max_length=10) == "x" * 10
    assert errors == {"q": "Keep your search to 10 characters or fewer."}


def test_row_ids_from_a_list() -> None:
    errors: dict[str, str] = {}
    assert query_row_id({"pool": " 7 "}, "pool", errors) == 7
    assert query_row_id({}, "pool", errors) is None
    assert errors == {}
    assert query_row_id({"host": "1 2"}, "host", errors, message="Choose a host.") is None
    assert errors == {"host": "Choose a host."}
