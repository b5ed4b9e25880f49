"""The reliability tests reuse the sync area's connected-profile fixtures."""

from tests.sync.conftest import Profile, cli_profile, profile  # noqa: F401  (fixtures)
