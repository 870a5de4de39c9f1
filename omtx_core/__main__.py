"""Entry point for `python -m omtx_core`."""

import sys

from omtx_core.cli import main

sys.exit(main())
