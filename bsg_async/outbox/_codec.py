"""The claim protocol's values as both dialects' statements take and give them: a claim's rows
read as four columns, a release's outcomes sent as one JSON parameter, and whether a release
ends its chunk."""

from __future__ import annotations

from collections.abc import Sequence

from .._json import dumps
from ..models import Recipient
from ._models import Claim, Release

__all__ = ["claimed_rows", "outcomes_json", "release_done"]

ClaimedRows = tuple[tuple[int, ...], tuple[Recipient, ...], tuple[str | None, ...]]
"""A claim's `seqs`, `recipients` and `texts`."""


def release_done(claim: Claim, release: Release) -> bool:
    """Whether `release` ends the chunk of `claim`: every row of the claim has a final outcome
    (`sent` or `failed`)."""
    return release.final().issuperset(claim.seqs)


def outcomes_json(release: Release) -> str:
    """A release's outcomes as one JSON parameter, in both dialects: an array of its groups,
    each `[state, price, currency, error type, error code, error, uncertain, {seq: message
    id, ...}]`. The database reads a group's shared values once and walks one object of
    `seq`s and message ids, where an array per row had it take nine fields out of each (on
    SQLite four times the CPU per row). One text to send, where a column per field would have
    the driver (asyncpg) check every element of every array, or a step per row
    (`executemany`) take the GIL back from the event loop once per row in SQLite's thread.
    Written by the SDK's one JSON writer, each group's `{seq: message id}` as it is (its
    integer keys written as text), with no pass over the rows here; `state` is written as
    its value."""
    return dumps(
        [[*shared, rows] for shared, rows in release.groups.items()], integer_keys=True
    ).decode()


def claimed_rows(
    seqs: Sequence[int],
    references: Sequence[str],
    numbers: Sequence[str],
    texts: Sequence[str | None],
) -> ClaimedRows:
    """The rows of a claim as the claim's statement read them, as four columns filled in one
    pass over the rows, in `seq` order, so that their n-th entries are one row's (SQLite: one
    JSON value, `[seqs, references, numbers, texts]`; PostgreSQL: four arrays, which asyncpg
    decodes). A column each, where a value per row had the decoder build a list per row and a
    pass take them apart: a third of the event loop's work per claimed row. Returned as the
    claim's `seqs`, `recipients` (checked when they were added: made without running the
    checks again) and `texts`."""
    return tuple(seqs), Recipient._checked_many(numbers, references), tuple(texts)
