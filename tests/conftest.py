from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_vendor_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a developer's real keys or servers."""
    for name in ("MINIMAX_API_KEY", "MINIMAX_BASE_URL", "EVOLINK_API_KEY", "EVOLINK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
