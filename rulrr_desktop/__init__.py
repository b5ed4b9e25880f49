"""Rulrr Desktop: keeps Rulrr fed with a store's profile, customers and every order from its POS export."""

__version__ = "0.1.0"
APP_NAME = "Rulrr Desktop"
APP_ID = "rulrr-desktop"
