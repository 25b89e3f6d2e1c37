"""``notices.toml`` beside this module: reminder lead times, quiet hours, retries."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

CONFIG_PATH = Path(__file__).with_name("notices.toml")
CONFIG: dict[str, Any] = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
