"""`python -m bsg_async.testing`: serve a `FakeBSG` over HTTP (see `bsg_async.testing._cli`)."""

from __future__ import annotations

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
