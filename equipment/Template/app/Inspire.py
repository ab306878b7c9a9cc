"""A small example service: hands out quotes from `config/inspiring.json`."""

from __future__ import annotations

import random
from collections.abc import Iterable

from equipment.Errors import ConfigError


class Inspire:
    def __init__(self, quotes: Iterable[str] | None = None) -> None:
        if isinstance(quotes, (str, bytes, dict)) or (
            quotes is not None and not isinstance(quotes, Iterable)
        ):
            raise ConfigError("config/inspiring.json: 'quotes' must be a list of strings")
        self.quotes = [str(quote) for quote in (quotes or []) if str(quote).strip()]
        if not self.quotes:
            # A ConfigError: the script prints this one line and exits 2, without a traceback.
            raise ConfigError("config/inspiring.json has no quotes: add some to its 'quotes' list")

    def quote(self) -> str:
        """One quote, picked at random."""
        return random.choice(self.quotes)
