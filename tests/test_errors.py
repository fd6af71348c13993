"""``bounded_message``: long quoted values are cut, prose with apostrophes is not."""

from __future__ import annotations

from xstilts.errors import bounded_message


def test_a_long_quoted_value_is_cut() -> None:
    message = f"encoder.name: {'x' * 500!r} is not a folder"
    assert bounded_message(message) == f"encoder.name: '{'x' * 57}...' is not a folder"


def test_apostrophes_of_prose_are_not_quotes() -> None:
    message = (
        "the task's recipe sets max_length 384 for every language the study evaluates, and the "
        "study doesn't override it"
    )
    assert bounded_message(message) == message


def test_newlines_are_flattened_and_the_length_is_bounded() -> None:
    message = "first line\nsecond " + "y" * 5000 + " end: expected a number"
    text = bounded_message(message, limit=200)
    assert "\n" not in text and len(text) <= 205 and text.endswith("expected a number")
