"""A small example service: hands out quotes from `config/inspiring.json`."""

from __future__ import annotations

import random
from collections.abc import Iterable


class Inspire:
    def __init__(self, quotes: Iterable[str] | None = None) -> None:
        self.quotes = [str(quote) for quote in (quotes or []) if str(quote).strip()]
        if not self.quotes:
            raise ValueError("config/inspiring.json has no quotes: add some to its 'quotes' list")

    def quote(self) -> str:
        """One quote, picked at random."""
        return random.choice(self.quotes)
