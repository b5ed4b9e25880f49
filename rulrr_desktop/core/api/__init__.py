"""The Rulrr API client (see client.py); errors in errors.py."""
