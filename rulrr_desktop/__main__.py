"""`python -m rulrr_desktop` is the same as the `rulrr-desktop` command."""

import sys

from rulrr_desktop.cli import main

sys.exit(main())
