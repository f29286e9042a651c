"""`python -m bsg_async`: the `bsg` command line (needs the `cli` extra)."""

from __future__ import annotations

import sys

_CLI_PACKAGES = frozenset({"click", "rich"})


def main() -> int:
    """Run the command line, or explain how to install it; returns the exit status."""
    try:
        from .cli import main as cli_main
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] not in _CLI_PACKAGES:
            raise
        print(
            "the bsg command line needs its extra: pip install 'bsg-async[cli]'",
            file=sys.stderr,
        )
        return 2
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
