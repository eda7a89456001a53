"""``python -m chatcontract``: the ``chatcontract`` command."""

import sys

from .cli import main

sys.exit(main())
