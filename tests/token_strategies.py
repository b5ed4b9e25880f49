"""Secret values shaped like real ones, for the property tests that check a secret never shows anywhere.

A drawn secret stands for a real one: a long random string (the sandbox mints "at_" + secrets.token_urlsafe(32),
43 characters of the URL-safe base64 alphabet, see rulrr_desktop/sandbox/state.py). A short draw can be an
ordinary fragment of English or of a log line ("Connecti" is inside httpx's "Connection refused"), and the test
then reports a leak where nothing leaked. So every value is at least 24 characters of the token alphabet with
a dozen different ones among them, which no word, host name or log line of the app holds.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

# URL-safe base64 (what Rulrr's tokens are made of) plus standard base64's "+/=", which a query string
# percent-encodes: a vendor's client secret may be either, and the encoded form must be masked too.
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
SECRET_ALPHABET = TOKEN_ALPHABET + "+/="
MIN_LENGTH = 24
MIN_DISTINCT = 12

secret_values = st.builds(
    str.__add__,
    st.sampled_from(["", "at_", "rt_", "it_"]),
    st.text(alphabet=SECRET_ALPHABET, min_size=MIN_LENGTH, max_size=64).filter(
        lambda s: len(set(s)) >= MIN_DISTINCT))
