"""The desktop app (PySide6): tray, window, wizard and the sync worker thread.

Painting stays on the UI thread: Qt's raster engine hands every fill of 96 or more spans (the progress bar's
paint during a backfill, a window background) to a helper thread pool and blocks the UI thread until those
threads have run. On a busy computer the kernel leaves them waiting for a CPU, and the window froze for
50-150 ms at a time (tests/ui/test_responsiveness.py); done on the UI thread, such a fill takes well under a
millisecond. Qt reads QT_NO_GUI_THREADPOOL once, at the first such fill, so it is set here, on the first import
of any UI module: before any QApplication exists, in the app and in the tests alike.
"""

import os

os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
