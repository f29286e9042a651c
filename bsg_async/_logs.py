"""`BSG_LOG`: SDK logging for people who have set up no logging of their own.

The SDK logs to `logging.getLogger("bsg_async")` and is silent by default (the library sets no
handler). `BSG_LOG=info` (one line per retry) or `BSG_LOG=debug` (also one line per attempt)
gives that logger a handler writing to stderr, when the package is imported, as openai-python's
`OPENAI_LOG` does. Any other value is ignored; a logger that already has a handler is left
alone. Nothing logged holds a key or a token.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

__all__ = ["LOG_ENV", "setup_logging"]

LOG_ENV = "BSG_LOG"
_LEVELS = {"info": logging.INFO, "debug": logging.DEBUG}
_FORMAT = "[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s"


def setup_logging(environ: Mapping[str, str] = os.environ) -> logging.Handler | None:
    """Give the `bsg_async` logger a stderr handler at the level `BSG_LOG` names; the handler
    added, or `None` when `BSG_LOG` is unset or unknown or the logger already has a handler."""
    level = _LEVELS.get(environ.get(LOG_ENV, "").strip().lower())
    logger = logging.getLogger("bsg_async")
    if level is None or logger.handlers:
        return None
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler
