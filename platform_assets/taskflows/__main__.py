"""``python -m platform_assets.taskflows``: the task runner's command line (see cli.py)."""

import sys

from platform_assets.taskflows.cli import main

if __name__ == "__main__":  # importing the module (the house's import checks) runs nothing
    sys.exit(main())
