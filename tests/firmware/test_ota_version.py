"""Firmware versions (firmware/ota/version.py): dotted integers compared numerically."""

from firmware.ota import version
from tests.firmware.support import raises


def test_versions_parse_to_tuples_of_ints():
    assert version.parse("1.2.0") == (1, 2, 0)
    assert version.parse("0") == (0,)
    assert version.parse("10.0.123456789") == (10, 0, 123456789)


def test_versions_compare_numerically_not_as_text():
    assert version.compare("1.10.0", "1.9.0") == 1
    assert version.compare("1.9.0", "1.10.0") == -1
    assert version.compare("2", "1.99.99") == 1
    assert version.compare("1.2.0", "1.2.0") == 0


def test_missing_trailing_parts_count_as_zero():
    assert version.compare("1.2", "1.2.0") == 0
    assert version.compare("1.2", "1.2.0.1") == -1
    assert version.at_least("1.2", "1.2.0")
    assert not version.newer("1.2", "1.2.0")


def test_newer_and_at_least():
    assert version.newer("1.2.1", "1.2.0")
    assert not version.newer("1.2.0", "1.2.1")
    assert version.at_least("1.2.1", "1.2.0")
    assert not version.at_least("1.1.9", "1.2.0")


def test_what_is_not_a_version_is_refused_with_a_reason():
    cases = [
        ("", "1 to 80 characters"),
        ("1" * 81, "1 to 80 characters"),
        ("1..2", "empty part"),
        (".1", "empty part"),
        ("1.2.", "empty part"),
        ("1.2a", "not dotted integers"),
        ("v1.2", "not dotted integers"),
        ("1.-2", "not dotted integers"),
        (" 1.2", "not dotted integers"),
        ("1.02", "leading zero"),
        ("1.2.3.4.5.6.7.8.9", "more than 8 parts"),
        ("1.1234567890", "longer than 9 digits"),
        (None, "must be text"),
        (12, "must be text"),
    ]
    for text, expected in cases:
        with raises(version.VersionError, expected) as caught:
            version.parse(text)
        assert caught.value.message
        assert not version.is_valid(text)
    assert version.is_valid("1.2.3")


def test_compare_refuses_a_bad_version_rather_than_guessing():
    with raises(version.VersionError, "not dotted integers"):
        version.compare("1.2.0", "latest")
