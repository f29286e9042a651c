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
    """Send a CSV of recipients as a resumable campaign, and read its statuses."""


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
    help="The results CSV (default: RECIPIENTS with .results.csv); the journal goes beside it.",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted campaign from its journal.")
@click.option("--strict", is_flag=True, help="Send nothing if any CSV row is bad.")
@click.option("--chunk-size", type=click.IntRange(1, 10_000), help="Recipients per request.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--rate-limit", type=click.FloatRange(min=0.1), help="Requests per second at most.")
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
    resume: bool,
    strict: bool,
    chunk_size: int | None,
    concurrency: int,
    rate_limit: float | None,
) -> None:
    """Send a campaign to the recipients in a CSV (header: msisdn[,reference][,text]).

    Every row gets a reference, recorded in a journal (SQLite, beside the results) before it
    is sent, and its outcome after. After an interruption (Ctrl-C, kill, crash) run the same
    command with --resume: rows already sent are skipped, rows of unknown fate are read back
    by reference first, so nobody gets the message twice and nobody is left out.
    The results CSV has one row per CSV row: line, msisdn, reference, channel, id, status,
    price, currency, error.
    """
    from ._campaign import CampaignOptions, campaign_send, given_settings

    output = settings.output
    options = CampaignOptions(
        recipients=recipients,
        results=results or recipients.with_name(recipients.stem + ".results.csv"),
        resume=resume,
        strict=strict,
        chunk_size=chunk_size,
        concurrency=concurrency,
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
    )

    def client(concurrency: int) -> Any:
        # Headroom above the chunks in flight for the look-ups that resolve a lost answer.
        limit = max(16, 4 * concurrency)
        return open_client(settings, max_concurrency=limit, rate_limit=rate_limit)

    run_command(output, lambda: campaign_send(client, output, given, options))


@campaign.command("status", context_settings=CONTEXT)
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--channel",
    type=click.Choice(["viber", "sms"]),
    help="For a CSV without a channel column.",
)
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True)
@common_options
def campaign_status_command(
    settings: Settings, results: Path, channel: str | None, concurrency: int
) -> None:
    """Read the status of every message in a results CSV, concurrently, and write them back."""
    from ._campaign import campaign_status

    output = settings.output

    async def work() -> int:
        async with open_client(settings, max_concurrency=concurrency) as bsg:
            return await campaign_status(
                bsg, output, results, channel=channel, concurrency=concurrency
            )

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
            price = "" if entry.price is None else f"{entry.price} {entry.currency or ''}"
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
