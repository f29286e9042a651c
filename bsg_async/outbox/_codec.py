"""The claim protocol's values as both dialects' statements take and give them: a claim's rows
read as one JSON value, a release's outcomes sent as one JSON parameter, and whether a
release ends its chunk."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ._models import Claim, ClaimedRow, RowOutcome, RowState

__all__ = ["claimed_rows", "outcomes_json", "release_done"]


def release_done(claim: Claim, outcomes: Sequence[RowOutcome]) -> bool:
    """Whether the release of `claim` with `outcomes` ends its chunk: every row of the claim
    has a final outcome (`sent` or `failed`)."""
    final = {o.reference for o in outcomes if o.state is not RowState.PENDING}
    return all(row.reference in final for row in claim.rows)


def outcomes_json(claim: Claim, outcomes: Sequence[RowOutcome]) -> str:
    """A release's outcomes as one JSON parameter, in both dialects: an array of [seq, state,
    message id, price, currency, error type, error code, error, uncertain], each row found by
    its `seq`. One text to send, where a column per field would have the driver (asyncpg)
    check every element of every array, or a step per row (`executemany`) take the GIL back
    from the event loop once per row in SQLite's thread."""
    seqs = {row.reference: row.seq for row in claim.rows}
    return json.dumps(
        [
            [
                seqs.get(o.reference),
                o.state,  # a `str` enum: written as its value
                o.message_id,
                None if o.price is None else str(o.price),
                o.currency,
                o.error_type,
                o.error_code,
                o.error,
                o.may_have_been_accepted,
            ]
            for o in outcomes
        ]
    )


def claimed_rows(document: str, attempts: int) -> tuple[ClaimedRow, ...]:
    """The rows of a claim from the JSON array of [seq, reference, msisdn, text] the claim
    read (one value: the database driver decodes no row), by `seq`."""
    return tuple(
        ClaimedRow(seq, reference, msisdn, text, attempts)
        for seq, reference, msisdn, text in sorted(json.loads(document))
    )
