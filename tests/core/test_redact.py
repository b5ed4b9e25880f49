"""Secrets never survive redaction, in URLs, JSON-ish text and log records."""

import logging

from hypothesis import given, strategies as st

from rulrr_desktop.core.redact import MASK, RedactingFilter, redact, register_secret
from token_strategies import secret_values


@given(secret=secret_values, param=st.sampled_from(["client_secret", "access_token", "refresh_token",
                                                  "integration_token"]))
def test_secret_query_parameters_are_masked(secret, param):
    url = f"http://127.0.0.1:8765/v1/orders?client_id=demo-pos&{param}={secret}&orderId=A1"
    out = redact(url)
    assert f"{param}={MASK}" in out
    assert "client_id=demo-pos" in out and "orderId=A1" in out
    assert f"={secret}&" not in out


def test_json_keys_are_masked():
    text = '{"success":true,"accessToken":"abc123456","refreshToken": "zzz999999","expiresIn":31536000}'
    out = redact(text)
    assert "abc123456" not in out and "zzz999999" not in out and "31536000" in out


def test_registered_values_are_masked_anywhere():
    register_secret("s3cr3t-value-xyz")
    assert redact("token is s3cr3t-value-xyz, see?") == f"token is {MASK}, see?"


def test_log_filter_redacts_message_args_and_traceback():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "GET %s failed", ("http://h/v1?access_token=AAAAAAA1",),
                               None)
    try:
        raise RuntimeError("boom http://h/?refresh_token=BBBBBBB2")
    except RuntimeError:
        import sys
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "AAAAAAA1" not in formatted and "BBBBBBB2" not in formatted and "failed" in formatted
