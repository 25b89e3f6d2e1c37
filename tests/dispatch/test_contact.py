"""Phone numbers to E.164 and e-mail normalisation."""

import pytest

from dispatch.loyalty.contact import looks_like_email, normalize_email, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "06.12.34.56.78",
        "(0)6-12-34-56-78",
        "+33 (0)6 12 34 56 78",
        "612345678",
        " 06-12-34-56-78 ",
        "+33 0 6 12 34 56 78",
        "06/12/34/56/78",
    ],
)
def test_french_mobile_forms_normalise_to_e164(raw):
    """Every usual way of writing the same mobile gives +33612345678."""
    assert normalize_phone(raw) == "+33612345678"


def test_landline_keeps_its_area_digit():
    """01 23 45 67 89 (Paris landline) -> +33123456789."""
    assert normalize_phone("01 23 45 67 89") == "+33123456789"


def test_foreign_number_is_kept_in_e164():
    """A Belgian mobile stays +32...; 0032 is read as +32."""
    assert normalize_phone("+32 470 12 34 56") == "+32470123456"
    assert normalize_phone("0032 470 12 34 56") == "+32470123456"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "06 12 34 56",
        "06 12 34 56 78 9",
        "06 12 AB 56 78",
        "00 12 34 56 78",
        "+33 1234",
        "012345678",
        "+1 23",
    ],
)
def test_invalid_numbers_raise_naming_the_input(raw):
    """Wrong length, letters or a zero after the trunk prefix raise ValueError with the input."""
    with pytest.raises(ValueError, match="phone number") as info:
        normalize_phone(raw)
    assert repr(raw) in str(info.value)


def test_normalize_email_strips_and_lowercases():
    """'  Jean.Dupont@Example.FR ' -> 'jean.dupont@example.fr'."""
    assert normalize_email("  Jean.Dupont@Example.FR ") == "jean.dupont@example.fr"
    assert normalize_email("a+coffee@mail.co.uk") == "a+coffee@mail.co.uk"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "jean",
        "jean@",
        "@example.fr",
        "jean@example",
        "jean dupont@example.fr",
        "jean..dupont@example.fr",
        "jean@exa_mple.fr",
        "a@b@c.fr",
    ],
)
def test_invalid_emails_raise_naming_the_input(raw):
    """Malformed addresses raise ValueError naming the input."""
    assert not looks_like_email(raw)
    with pytest.raises(ValueError, match="e-mail") as info:
        normalize_email(raw)
    assert repr(raw) in str(info.value)


def test_looks_like_email_tells_emails_from_phones():
    """An identifier field holds either; the predicate tells them apart."""
    assert looks_like_email("Marie@Cafe.fr ")
    assert not looks_like_email("06 12 34 56 78")
