"""Contact fields: E.164 phones with the store's country, sane emails, apostrophes, Loyverse free text."""

import pytest

from rulrr_desktop.core.mapping.contacts import clean_email, phone_e164, split_contacts, split_name, strip_apostrophe


@pytest.mark.parametrize("text, region, e164", [
    ("(212) 555-0147", "US", "+12125550147"),
    ("'+573158173380", "US", "+573158173380"),       # a spreadsheet apostrophe
    ("06 12 34 56 78", "FR", "+33612345678"),        # national number: the store's country decides
    ("+44 20 7946 0958", "US", "+442079460958"),
    ("12345", "US", ""),                              # invalid: the field is dropped
    ("call me", "US", ""),
    ("", "US", ""),
    ("+1 212 555 01", "US", ""),
])
def test_phones_to_e164(text, region, e164):
    assert phone_e164(text, region) == e164


@pytest.mark.parametrize("text, email", [
    ("ann@example.com", "ann@example.com"), (" Ann.O@Example.COM ", "Ann.O@example.com"),
    ("bob@@example", ""), ("eli(at)example.com", ""), ("no-at-sign", ""), ("a@b", ""), ("a..b@example.com", ""),
    ("<c@example.org>", "c@example.org"), ("", ""),
])
def test_emails_are_checked(text, email):
    assert clean_email(text) == email


@pytest.mark.parametrize("text, expected", [
    ("+1 (212) 555-0199, maria@example.com", ("+12125550199", "maria@example.com")),
    ("lea@example.fr / 06 12 34 56 78", ("+33612345678", "lea@example.fr")),
    ("joe at home", ("", "")),
    ("212.555.0147", ("+12125550147", "")),
    ("", ("", "")),
])
def test_loyverse_free_text_contacts(text, expected):
    region = "FR" if "fr" in text else "US"
    assert split_contacts(text, region) == expected


def test_names_and_apostrophes():
    assert split_name("Ann Marie Okafor") == ("Ann Marie", "Okafor")
    assert split_name("Okafor, Ben") == ("Ben", "Okafor")
    assert split_name("Joe") == ("Joe", "")
    assert split_name("  ") == ("", "")
    assert strip_apostrophe("'90503") == "90503" and strip_apostrophe("90503") == "90503"
