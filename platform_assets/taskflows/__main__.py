"""``python -m platform_assets.taskflows``: the task runner's command line (see cli.py)."""

import sys

from platform_assets.taskflows.cli import main

sys.exit(main())
