"""`bsg`: the command line of bsg_async (also `python -m bsg_async`).

Needs the `cli` extra (`pip install 'bsg-async[cli]'`: click, rich and uvicorn); this package
is the only part of bsg_async that imports them. `bsg --help` lists the commands:

```
bsg demo                                   a campaign against the built-in FakeBSG
bsg sms send --to 380501234567 --text Hi --sender Shop
bsg viber send --to 380501234567 --text Hi --sender Shop --sms-fallback "Hi by SMS"
bsg sms status 211 | --reference R        bsg sms task 21902
bsg viber status 470093225 | --reference R
bsg balance
bsg campaign send recipients.csv --channel viber --text Hi --sender Shop [--store URL --name N]
bsg campaign work --store URL --name N      one more worker, from any machine
bsg campaign status --store URL --name N    delivery statuses into the store
bsg campaign results --store URL --name N --out results.csv
bsg fake serve --port 8080 [--seed 1 --fault lost_answer=0.01 ...]   the fake, over HTTP
```

Exit status: 0 all sent, 1 some failed, 2 usage or configuration error, 130 interrupted.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._app import cli

__all__ = ["cli", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `bsg` command line with `argv` (default: `sys.argv[1:]`); returns the exit
    status instead of exiting (the `bsg` console script exits with it)."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="bsg")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    raise AssertionError("click exits in standalone mode")  # pragma: no cover
