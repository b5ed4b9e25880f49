"""The built-in Rulrr sandbox: a faithful local emulator of the Rulrr partner API and its Connect page.

Standalone (it imports nothing from core or ui). Start it with `rulrr-desktop sandbox` or, in-process,
`rulrr_desktop.sandbox.server.start_in_thread()`. Every assumed API detail lives in `spec`.
"""
