"""``python -m chatcontract.mock [--host 127.0.0.1] [--port 8765]``."""

from __future__ import annotations

import sys

from ._cli import main

sys.exit(main())
