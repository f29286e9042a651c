"""The `bsg` commands (click): demo, sms, viber, balance, campaign, fake."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from .. import (
    LookupFailed,
    Receipt,
    Recipient,
    Rejection,
    SendResult,
    SmsFallback,
    SmsReport,
    ViberMessage,
    ViberReport,
    __version__,
)
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    Settings,
    common_options,
    open_client,
    run_command,
)
from ._output import Output, jsonable, key_value_table

__all__ = ["cli"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="bsg")
def cli() -> None:
    """The BSG messaging platform from the terminal: SMS, Viber with SMS fallback, campaigns.

    The API key comes from the BSG_API_KEY variable or --api-key-file, and is never printed.
    Every command takes --fake (run against the built-in FakeBSG, no key, no network) and
    --json (machine-readable output).

    Exit status: 0 all sent, 1 something failed, 2 usage or configuration error,
    130 interrupted.
    """


# -- demo ------------------------------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@click.option(
    "--recipients",
    type=click.IntRange(1, 1_000_000),
    default=5000,
    show_default=True,
    help="How many recipients the campaign has.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Fixes the whole run.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option(
    "--statuses",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Read back the status of this many messages (a random sample; 0: none).",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def demo(recipients: int, seed: int, concurrency: int, statuses: int, as_json: bool) -> None:
    """Send a realistic Viber campaign to the built-in FakeBSG on 127.0.0.1 and check it.

    Invalid numbers, refused numbers, people without Viber (SMS fallback), injected faults and
    lost answers; then per-status summary, cost per currency, failures with reasons, the
    exactly-once check (accepted by the fake vs reported sent) and the throughput.
    """
    from ._demo import run_demo

    output = Output(as_json=as_json)
    run_command(
        output,
        lambda: run_demo(
            output, recipients=recipients, seed=seed, concurrency=concurrency, statuses=statuses
        ),
    )


# -- sms -------------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def sms() -> None:
    """Send SMS and read their status."""


@sms.command("send", context_settings=CONTEXT)
@click.option("--to", required=True, metavar="PHONE", help="International format.")
@click.option("--text", required=True, help="The message body.")
@click.option("--sender", required=True, help="1 to 14 characters.")
@click.option("--reference", help="Your id for the message (generated when left out).")
@click.option("--validity", type=int, help="Hours, 1 to 72.")
@click.option("--tariff", type=int, help="0 to 9.")
@click.option("--two-way", is_flag=True, help="A 2WAY message.")
@common_options
def sms_send(
    settings: Settings,
    to: str,
    text: str,
    sender: str,
    reference: str | None,
    validity: int | None,
    tariff: int | None,
    two_way: bool,
) -> None:
    """Send one SMS."""
    output = settings.output

    async def work() -> int:
        async with open_client(settings) as bsg:
            receipt = await bsg.sms.send(
                to=to,
                text=text,
                sender=sender,
                reference=reference,
                validity=None if validity is None else timedelta(hours=validity),
                tariff=tariff,
                two_way=two_way,
            )
        _show_receipt(output, receipt)
        return EXIT_OK

    run_command(output, work)


def _add_status_command(group: click.Group, channel: str, help: str) -> None:
    """`bsg sms status` and `bsg viber status`: one command, read by id or by reference."""

    @group.command("status", context_settings=CONTEXT, help=help)
    @click.argument("ids", nargs=-1, type=click.IntRange(min=1))
    @click.option(
        "--reference", "references", multiple=True, help="Read by reference (repeatable)."
    )
    @click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True)
    @common_options
    def status(
        settings: Settings, ids: tuple[int, ...], references: tuple[str, ...], concurrency: int
    ) -> None:
        _status_command(settings, channel, ids, references, concurrency)


_add_status_command(sms, "sms", "Read SMS statuses by message id (arguments) or by --reference.")


@sms.command("task", context_settings=CONTEXT)
@click.argument("task_id", type=click.IntRange(min=1))
@common_options
def sms_task(settings: Settings, task_id: int) -> None:
    """Read a bulk SMS task's counters."""
    output = settings.output

    async def work() -> int:
        async with open_client(settings) as bsg:
            task = await bsg.sms.get_task(task_id)
        if output.as_json:
            output.json(task)
        else:
            output.table(key_value_table(f"task {task_id}", jsonable(task)))
        return EXIT_OK

    run_command(output, work)


# -- viber -----------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def viber() -> None:
    """Send Viber messages (with SMS fallback) and read their status."""


@viber.command("send", context_settings=CONTEXT)
@click.option(
    "--to", "numbers", required=True, multiple=True, metavar="MSISDN", help="Repeatable, up to 50."
)
@click.option("--text", required=True, help="1 to 1,000 characters.")
@click.option("--sender", required=True, help="The registered sender.")
@click.option("--reference", help="Your id for the message (only with one --to).")
@click.option("--sms-fallback", help="SMS text for people who cannot get Viber.")
@click.option("--fallback-sender", help="The fallback SMS's sender (default: --sender).")
@click.option("--image-url", help="An image (needs a button).")
@click.option("--button-caption", help="The button's text (with --button-url).")
@click.option("--button-url", help="The button's link (with --button-caption).")
@click.option("--promotional", is_flag=True, help="Mark the message promotional.")
@click.option("--validity", type=int, help="Seconds, 15 to 86,400.")
@click.option("--tariff", type=int, help="0 to 9.")
@common_options
def viber_send(
    settings: Settings,
    numbers: tuple[str, ...],
    text: str,
    sender: str,
    reference: str | None,
    sms_fallback: str | None,
    fallback_sender: str | None,
    image_url: str | None,
    button_caption: str | None,
    button_url: str | None,
    promotional: bool,
    validity: int | None,
    tariff: int | None,
) -> None:
    """Send one Viber message to one or more recipients."""
    output = settings.output
    if reference is not None and len(numbers) != 1:
        raise click.UsageError("--reference needs exactly one --to")
    if fallback_sender is not None and sms_fallback is None:
        raise click.UsageError("--fallback-sender needs --sms-fallback")

    async def work() -> int:
        fallback = None
        if sms_fallback is not None:
            fallback = SmsFallback(text=sms_fallback, sender=fallback_sender or sender)
        message = ViberMessage(
            to=[Recipient(number, reference) for number in numbers],
            text=text,
            sender=sender,
            is_promotional=promotional,
            image_url=image_url,
            button_caption=button_caption,
            button_url=button_url,
            sms_fallback=fallback,
        )
        async with open_client(settings) as bsg:
            result = await bsg.viber.send_messages(
                [message],
                validity=None if validity is None else timedelta(seconds=validity),
                tariff=tariff,
            )
        _show_send_result(output, result)
        return EXIT_FAILED if result.rejected else EXIT_OK

    run_command(output, work)


_add_status_command(
    viber, "viber", "Read Viber statuses (with their SMS fallback) by message id or by --reference."
)


# -- balance ---------------------------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@common_options
def balance(settings: Settings) -> None:
    """Show the account's balance (One-API)."""
    output = settings.output

    async def work() -> int:
        async with open_client(settings) as bsg:
            money = await bsg.account.balance()
        if output.as_json:
            output.json(money)
        else:
            output.table(key_value_table("balance", jsonable(money)))
        return EXIT_OK

    run_command(output, work)


# -- campaign --------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def campaign() -> None:
    """Campaigns in a campaign store (a SQLite file, or PostgreSQL): send a CSV, join as a
    worker from any machine, read statuses, write the results."""


_STORE_HELP = (
    "The campaign store: a SQLite file (path or sqlite:///path) or postgresql://user@host/db."
)
_LEASE_HELP = (
    "Seconds a claimed chunk stays this worker's without renewal: after a crash, another "
    "run or worker takes it over (and reconciles it by reference) once it expires."
)


def _worker_options(function: Any) -> Any:
    """`--concurrency`, `--lease` and `--rate-limit`: how this process works on a campaign."""
    options = [
        click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True),
        click.option(
            "--lease",
            type=click.FloatRange(1, 86_400),
            default=60.0,
            show_default=True,
            help=_LEASE_HELP,
        ),
        click.option(
            "--rate-limit", type=click.FloatRange(min=0.1), help="Requests per second at most."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _store_options(function: Any) -> Any:
    function = click.option("--name", required=True, help="The campaign's name.")(function)
    return click.option("--store", required=True, help=_STORE_HELP)(function)


@campaign.command("send", context_settings=CONTEXT)
@click.argument("recipients", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--channel", type=click.Choice(["viber", "sms"]), help="viber or sms.")
@click.option("--text", help="The message (a `text` column overrides it per row).")
@click.option(
    "--sender",
    help="The sender name (Viber or SMS), 1 to 14 characters.",
)
@click.option("--sms-fallback", help="Viber only: the SMS text for people without Viber.")
@click.option("--fallback-sender", help="Viber only: the fallback SMS's sender.")
@click.option("--validity", type=int, help="SMS: hours (1 to 72); Viber: seconds (15 to 86,400).")
@click.option("--tariff", type=int, help="0 to 9.")
@click.option("--promotional", is_flag=True, help="Viber only: a promotional message.")
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The results CSV (default: RECIPIENTS with .results.csv).",
)
@click.option(
    "--store",
    help="The campaign store (default: the SQLite file RESULTS with .journal.sqlite). "
    + _STORE_HELP,
)
@click.option("--name", help="The campaign's name (default: RECIPIENTS without its suffix).")
@click.option("--resume", is_flag=True, hidden=True, help="No longer needed: runs resume.")
@click.option("--strict", is_flag=True, help="Send nothing if any CSV row is bad.")
@click.option("--chunk-size", type=click.IntRange(1, 10_000), help="Recipients per request.")
@_worker_options
@common_options
def campaign_send_command(
    settings: Settings,
    recipients: Path,
    channel: str | None,
    text: str | None,
    sender: str | None,
    sms_fallback: str | None,
    fallback_sender: str | None,
    validity: int | None,
    tariff: int | None,
    promotional: bool,
    results: Path | None,
    store: str | None,
    name: str | None,
    resume: bool,
    strict: bool,
    chunk_size: int | None,
    concurrency: int,
    lease: float,
    rate_limit: float | None,
) -> None:
    """Send a campaign to the recipients in a CSV (header: msisdn[,reference][,text]).

    The CSV becomes a campaign of the store (named after the file unless --name), every row
    with its reference fixed before anything is sent, then this run works on it until no row
    is left to send. Interrupted (Ctrl-C, kill, crash)? Run the same command again: it
    resumes, and rows whose fate was unknown are reconciled by reference, so nobody gets the
    message twice and nobody is left out. More workers may join: bsg campaign work.
    The results CSV has one row per CSV row: line, msisdn, reference, channel, id, status,
    price, currency, error, fallback_status.
    """
    from ._campaign import CampaignOptions, campaign_send, default_store, given_settings

    output = settings.output
    results = results or recipients.with_name(recipients.stem + ".results.csv")
    options = CampaignOptions(
        store=store or default_store(results),
        name=name or recipients.stem,
        recipients=recipients,
        results=results,
        strict=strict,
        concurrency=concurrency,
        lease=lease,
    )
    given = given_settings(
        channel=channel,
        sender=sender,
        text=text,
        sms_fallback=sms_fallback,
        fallback_sender=fallback_sender,
        validity=validity,
        tariff=tariff,
        promotional=promotional,
        chunk_size=chunk_size,
    )
    run_command(
        output,
        lambda: campaign_send(_campaign_client(settings, rate_limit), output, given, options),
    )


def _campaign_client(settings: Settings, rate_limit: float | None) -> Any:
    def client(concurrency: int) -> Any:
        # Headroom above the chunks in flight for the look-ups that resolve a lost answer.
        limit = max(16, 4 * concurrency)
        return open_client(settings, max_concurrency=limit, rate_limit=rate_limit)

    return client


@campaign.command("work", context_settings=CONTEXT)
@_store_options
@_worker_options
@common_options
def campaign_work_command(
    settings: Settings,
    store: str,
    name: str,
    concurrency: int,
    lease: float,
    rate_limit: float | None,
) -> None:
    """Join a campaign as one more worker, from any machine, until no row is left to send.

    The campaign's settings come from the store. Exit 0 when the campaign is done (whatever
    its rows' outcomes), 2 when the store has no such campaign, 130 when interrupted (its
    chunks go back to the store).
    """
    from ._campaign import CampaignOptions, campaign_work

    output = settings.output
    options = CampaignOptions(store=store, name=name, concurrency=concurrency, lease=lease)
    run_command(
        output, lambda: campaign_work(_campaign_client(settings, rate_limit), output, options)
    )


@campaign.command("results", context_settings=CONTEXT)
@_store_options
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The CSV to write.",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def campaign_results_command(store: str, name: str, out: Path, as_json: bool) -> None:
    """Write a campaign's results CSV, one row per CSV row: line, msisdn, reference, channel,
    id, status, price, currency, error, fallback_status (no API key needed)."""
    from ._campaign import campaign_results

    output = Output(as_json=as_json)
    run_command(output, lambda: campaign_results(output, store, name, out))


@campaign.command("status", context_settings=CONTEXT)
@_store_options
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True)
@common_options
def campaign_status_command(settings: Settings, store: str, name: str, concurrency: int) -> None:
    """Read the delivery status of a campaign's sent messages into the store (concurrently;
    final ones are not read again), and show them. `campaign results` then writes them out."""
    from ._campaign import campaign_status

    output = settings.output

    async def work() -> int:
        async with open_client(settings, max_concurrency=concurrency) as bsg:
            return await campaign_status(bsg, output, store, name, concurrency=concurrency)

    run_command(output, work)


# -- display ---------------------------------------------------------------------------------


def _show_receipt(output: Output, receipt: Receipt) -> None:
    if output.as_json:
        output.json(receipt)
        return
    output.table(key_value_table("accepted", jsonable(receipt)))


def _show_send_result(output: Output, result: SendResult) -> None:
    if output.as_json:
        output.json(result)
        return
    table = Table(title="Viber send", title_justify="left")
    for column in ("to", "reference", "result", "id", "price"):
        table.add_column(column)
    for entry in result.entries:
        if isinstance(entry, Rejection):
            table.add_row(entry.to or "", entry.reference, f"refused: {entry.error}", "", "")
        else:
            price = f"{entry.price} {entry.currency or ''}"
            table.add_row(entry.to or "", entry.reference, "accepted", str(entry.id), price)
    output.table(table)


def _status_command(
    settings: Settings,
    channel: str,
    ids: Sequence[int],
    references: Sequence[str],
    concurrency: int,
) -> None:
    output = settings.output
    keys: list[int | str] = [*ids, *references]
    if not keys:
        raise click.UsageError("give at least one message id, or --reference")

    async def work() -> int:
        async with open_client(settings, max_concurrency=concurrency) as bsg:
            resource = bsg.viber if channel == "viber" else bsg.sms
            reports: list[Any] = await resource.get_many(keys, concurrency=concurrency)
        _show_reports(output, reports)
        return EXIT_FAILED if any(isinstance(r, LookupFailed) for r in reports) else EXIT_OK

    run_command(output, work)


def _show_reports(
    output: Output, reports: Sequence[SmsReport | ViberReport | LookupFailed[Any]]
) -> None:
    if output.as_json:
        output.json(reports[0] if len(reports) == 1 else list(reports))
        return
    table = Table(show_header=True)
    for column in (
        "id",
        "reference",
        "to",
        "status",
        "price",
        "time_sent",
        "time_dr",
        "fallback",
    ):
        table.add_column(column)
    for report in reports:
        if isinstance(report, LookupFailed):
            table.add_row(str(report.key), "", "", f"error: {report.error}", "", "", "", "")
            continue
        price = "" if report.price is None else f"{report.price} {report.currency or ''}"
        fallback = ", ".join(
            f"sms {sms.id} {sms.status}" for sms in getattr(report, "fallback", ())
        )
        table.add_row(
            str(report.id),
            report.reference or "",
            report.to or "",
            str(report.status),
            price.strip(),
            "" if report.time_sent is None else report.time_sent.isoformat(sep=" "),
            "" if report.time_dr is None else report.time_dr.isoformat(sep=" "),
            fallback,
        )
    output.table(table)


@cli.group(context_settings=CONTEXT)
def fake() -> None:
    """The built-in fake BSG service, for local development and tests."""


@fake.command(
    "serve",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,  # --help is the fake's own (it lists all its options)
)
@click.argument("options", nargs=-1, type=click.UNPROCESSED)
def fake_serve(options: tuple[str, ...]) -> None:
    """Serve a FakeBSG over HTTP until interrupted (bsg fake serve --help: its options).

    The same as python -m bsg_async.testing: prints "FakeBSG listening on URL" once ready;
    point BSG_BASE_URL at URL/rest and BSG_ONE_API_URL at URL.
    """
    from ..testing._cli import main as serve

    raise SystemExit(serve(list(options), prog="bsg fake serve"))
