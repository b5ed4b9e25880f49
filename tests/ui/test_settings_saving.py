"""Settings → Save while the system keyring is slow or failing: the proxy password is written off the UI thread
(a Secret Service can block for seconds on a locked collection's prompt or a D-Bus timeout), the dialog says it is
saving meanwhile, and a keyring failure is told in plain words with what to do, never with the password in it."""

from __future__ import annotations

import logging
import threading

import keyring.errors
import pytest

from rulrr_desktop.core.secrets import ProxyPasswords
from ui_support import open_settings_dialog

ADDRESS = "http://bakery@proxy.local:3128"
TYPED = "typed-pw-7719"
RELEASE_BOUND_S = 20.0      # a bound so that a regression fails instead of hanging; the tests release sooner


@pytest.fixture
def dialog(qtbot, fake_backend):
    yield open_settings_dialog(qtbot, fake_backend)
    ProxyPasswords().delete(ADDRESS)        # nothing held in memory leaks into the next test


class BlockingWrites:
    """Stands in for the keyring's set_password: records the calling thread, then waits until released."""

    def __init__(self, keyring_backend) -> None:
        self.write = keyring_backend.set_password
        self.entered, self.release = threading.Event(), threading.Event()
        self.on_ui_thread: list[bool] = []

    def __call__(self, service: str, username: str, password: str) -> None:
        self.on_ui_thread.append(threading.current_thread() is threading.main_thread())
        self.entered.set()
        assert self.release.wait(RELEASE_BOUND_S), "the test never released the keyring"
        self.write(service, username, password)


def test_a_blocked_keyring_leaves_the_window_responsive_and_the_dialog_says_it_is_saving(
        qtbot, dialog, fake_backend, memory_keyring, grab, screens_dir):
    from PySide6.QtCore import QTimer
    blocked = memory_keyring.set_password = BlockingWrites(memory_keyring)
    dialog.proxy.setText(ADDRESS)
    dialog.proxy_password.setText(TYPED)
    dialog.interval.setValue(300)

    dialog.save()                                 # returns at once: the keyring is written on another thread
    qtbot.waitUntil(blocked.entered.is_set)
    assert blocked.on_ui_thread == [False]
    ticks: list[int] = []                         # the UI thread runs its event loop while the keyring blocks
    QTimer.singleShot(0, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: ticks == [1])
    assert dialog.saving and dialog.isVisible() and not fake_backend.saved
    assert not dialog.save_button.isEnabled() and dialog.save_button.text() == "Saving…"
    assert not dialog.tabs.isEnabled() and dialog.cancel_button.isEnabled()
    assert TYPED not in dialog.error.text() and TYPED not in dialog.saving_note.text()
    grab(dialog, "settings-saving")
    dialog.save()                                 # a second click while saving starts nothing
    assert blocked.on_ui_thread == [False]

    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        blocked.release.set()
    assert blocked.on_ui_thread == [False]
    saved = fake_backend.saved[-1]
    assert saved.network.proxy == ADDRESS and saved.sync.interval_seconds == 300 and len(fake_backend.saved) == 1
    assert memory_keyring.items == {("rulrr-desktop", "proxy-password:" + ADDRESS): TYPED}
    assert not dialog.saving and dialog.save_button.isEnabled() and dialog.tabs.isEnabled()


def test_a_keyring_that_raises_is_told_in_plain_words_and_the_password_shows_nowhere(
        qtbot, dialog, fake_backend, memory_keyring, caplog, grab):
    def refuse(service, username, password):
        raise keyring.errors.KeyringLocked(f"the collection is locked (was given {password})")
    memory_keyring.set_password = refuse
    caplog.set_level(logging.DEBUG)
    dialog.proxy.setText(ADDRESS)
    dialog.proxy_password.setText(TYPED)

    dialog.save()
    qtbot.waitUntil(lambda: not dialog.saving)
    text = dialog.error.text()
    assert text.startswith("Saved, except the proxy password. The system keyring is locked or missing.")
    assert "Unlock the system keyring" in text and "save Settings again" in text      # what to do
    assert TYPED not in text and TYPED not in caplog.text
    assert fake_backend.saved[-1].network.proxy == ADDRESS                            # the rest is saved
    assert dialog.isVisible() and dialog.tabs.currentWidget() is dialog.sending
    assert dialog.save_button.isEnabled() and dialog.save_button.text() != "Saving…" and dialog.tabs.isEnabled()
    assert dialog.saving_note.isHidden()
    grab(dialog, "settings-keyring-refused")


def test_a_keyring_that_cannot_be_read_saves_nothing_and_says_what_to_do(qtbot, fake_backend, memory_keyring,
                                                                         caplog, grab):
    settings = fake_backend.settings()
    settings.network.proxy = ADDRESS
    fake_backend.save(settings)
    fake_backend.saved.clear()

    def locked(service, username):
        raise keyring.errors.KeyringLocked("the collection is locked")
    memory_keyring.get_password = locked
    caplog.set_level(logging.DEBUG)
    dialog = open_settings_dialog(qtbot, fake_backend)
    dialog.forget_password.setChecked(True)       # forgetting reads, then deletes, the saved password

    dialog.save()
    qtbot.waitUntil(lambda: not dialog.saving)
    text = dialog.error.text()
    assert text.startswith("Settings were not saved. The system keyring is locked or missing.")
    assert "Unlock the system keyring" in text and "Save again" in text
    assert "kept in memory" not in text           # (that is the Rulrr keys' wording, not the proxy's)
    assert not fake_backend.saved and dialog.isVisible() and dialog.tabs.currentWidget() is dialog.sending
    assert dialog.save_button.isEnabled() and dialog.tabs.isEnabled()
    grab(dialog, "settings-keyring-locked")


def test_cancel_while_saving_closes_the_dialog_and_the_late_answer_saves_nothing(qtbot, dialog, fake_backend,
                                                                                memory_keyring):
    blocked = memory_keyring.set_password = BlockingWrites(memory_keyring)
    dialog.proxy.setText(ADDRESS)
    dialog.proxy_password.setText(TYPED)
    dialog.save()
    qtbot.waitUntil(blocked.entered.is_set)
    with qtbot.waitSignal(dialog.rejected):
        dialog.cancel_button.click()
    assert not dialog.isVisible()
    blocked.release.set()
    qtbot.waitUntil(lambda: not dialog.saving)
    assert not fake_backend.saved and not dialog.isVisible() and dialog.result() == dialog.DialogCode.Rejected
