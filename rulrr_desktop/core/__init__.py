"""The headless heart of the app. Nothing under core imports Qt (tests/test_layers.py enforces it)."""
