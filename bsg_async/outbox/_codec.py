"""The claim protocol's values as both dialects' statements take and give them: a claim's rows
read as one JSON value, a release's outcomes sent as one JSON parameter, and whether a
release ends its chunk."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._json import dumps
from ._models import Claim, ClaimedRow, RowOutcome, RowState

__all__ = ["claimed_rows", "outcomes_json", "release_done"]


def release_done(claim: Claim, outcomes: Sequence[RowOutcome]) -> bool:
    """Whether the release of `claim` with `outcomes` ends its chunk: every row of the claim
    has a final outcome (`sent` or `failed`)."""
    final = {o.seq for o in outcomes if o.state is not RowState.PENDING}
    return all(row.seq in final for row in claim.rows)


def outcomes_json(outcomes: Sequence[RowOutcome]) -> str:
    """A release's outcomes as one JSON parameter, in both dialects: an array of groups, one
    per set of values rows share, each `[state, price, currency, error type, error code,
    error, uncertain, {seq: message id, ...}]`. A chunk sent at one price is one group: the
    database reads its shared values once and walks one object of `seq`s and message ids,
    where an array per row had it take nine fields out of each (on SQLite four times the
    CPU per row). One text to send, where a column per field would have the driver
    (asyncpg) check every element of every array, or a step per row (`executemany`) take
    the GIL back from the event loop once per row in SQLite's thread. Written by the SDK's
    one JSON writer (orjson when installed); `state` is written as its value."""
    groups: dict[tuple[Any, ...], dict[str, int | None]] = {}
    shared: tuple[Any, ...] | None = None
    ids: dict[str, int | None] = {}
    for outcome in outcomes:
        if outcome[2:] != shared:  # the usual next row shares the previous row's values
            shared = outcome[2:]
            ids = groups.setdefault(shared, {})
        ids[str(outcome[0])] = outcome[1]
    return dumps([[*values, ids] for values, ids in groups.items()]).decode()


def claimed_rows(document: str, attempts: int) -> tuple[ClaimedRow, ...]:
    """The rows of a claim from the JSON array of [seq, reference, msisdn, text] the claim
    read (one value: the database driver decodes no row), by `seq`."""
    return tuple(
        ClaimedRow(seq, reference, msisdn, text, attempts)
        for seq, reference, msisdn, text in sorted(json.loads(document))
    )
