"""The claim protocol's values as both dialects' statements take and give them: a claim's rows
read as one JSON value, a release's outcomes sent as one JSON parameter, and whether a
release ends its chunk."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .._json import dumps
from ._models import Claim, ClaimedRow, RowOutcome, RowState

__all__ = ["claimed_rows", "outcomes_json", "release_done"]


def release_done(claim: Claim, outcomes: Sequence[RowOutcome]) -> bool:
    """Whether the release of `claim` with `outcomes` ends its chunk: every row of the claim
    has a final outcome (`sent` or `failed`)."""
    final = {o.seq for o in outcomes if o.state is not RowState.PENDING}
    return all(row.seq in final for row in claim.rows)


def outcomes_json(outcomes: Sequence[RowOutcome]) -> str:
    """A release's outcomes as one JSON parameter, in both dialects: an array of [seq, state,
    message id, price, currency, error type, error code, error, uncertain] (each `RowOutcome`
    is that tuple: encoded in one pass), each row found by its `seq`. One text to send, where
    a column per field would have the driver (asyncpg) check every element of every array,
    or a step per row (`executemany`) take the GIL back from the event loop once per row in
    SQLite's thread. Written by the SDK's one JSON writer (orjson when installed, which takes
    plain tuples, not named ones: a shallow copy of each is still five times cheaper than
    `json` for 1,000 rows); `state` is written as its value."""
    return dumps(list(map(tuple, outcomes))).decode()


def claimed_rows(document: str, attempts: int) -> tuple[ClaimedRow, ...]:
    """The rows of a claim from the JSON array of [seq, reference, msisdn, text] the claim
    read (one value: the database driver decodes no row), by `seq`."""
    return tuple(
        ClaimedRow(seq, reference, msisdn, text, attempts)
        for seq, reference, msisdn, text in sorted(json.loads(document))
    )
