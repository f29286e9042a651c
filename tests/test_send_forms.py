"""Each high-volume send form (`send_many`, `send_campaign_many`) is built from its stream form
by `_many.send_form`: the same keywords, checks and outcomes, seen as a method of its own.
(`tests/test_typing.py` shows a type checker holding a call to the stream form's keywords.)"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from bsg_async import AsyncBSG, BatchReport, InvalidParameterError, OutcomeStream

from .conftest import API_KEY

FORMS = [
    ("sms", "send_many", "stream_many"),
    ("viber", "send_many", "stream_many"),
    ("sms", "send_campaign_many", "stream_campaign_many"),
    ("viber", "send_campaign_many", "stream_campaign_many"),
    ("rcs", "send_campaign_many", "stream_campaign_many"),
]


@pytest.mark.parametrize(("channel", "send", "stream"), FORMS)
def test_a_send_form_has_the_keywords_of_its_stream_form_and_returns_a_report(
    channel: str, send: str, stream: str
) -> None:
    bsg = AsyncBSG(api_key=API_KEY)
    send_form = getattr(getattr(bsg, channel), send)
    stream_form = getattr(getattr(bsg, channel), stream)

    sent, streamed = inspect.signature(send_form), inspect.signature(stream_form)

    assert sent.parameters == streamed.parameters
    assert sent.return_annotation == BatchReport.__name__
    assert inspect.iscoroutinefunction(send_form)
    assert send_form.__name__ == send
    assert send_form.__qualname__ == stream_form.__qualname__.replace(stream, send)
    assert f"`{stream}`" in (send_form.__doc__ or "")


async def test_a_send_form_refuses_a_bad_option_as_its_stream_form_does() -> None:
    async with AsyncBSG(api_key=API_KEY) as bsg:
        with pytest.raises(InvalidParameterError) as sent:
            await bsg.viber.send_many(to=["380972000001"], text="Hi", sender="BSG", chunk_size=51)
        with pytest.raises(InvalidParameterError) as streamed:
            bsg.viber.stream_many(to=["380972000001"], text="Hi", sender="BSG", chunk_size=51)

    assert (sent.value.field, sent.value.value) == (streamed.value.field, streamed.value.value)
    assert sent.value.field == "chunk_size"


def test_only_a_stream_form_can_have_a_send_form() -> None:
    from bsg_async._many import send_form

    def many(resource: object) -> object:
        raise AssertionError("never called")

    with pytest.raises(ValueError, match="stream_<operation>"):
        send_form(many)  # type: ignore[arg-type]


async def test_a_send_form_runs_the_stream_form_its_resource_has() -> None:
    async with AsyncBSG(api_key=API_KEY) as bsg:
        calls: list[dict[str, object]] = []
        original = bsg.sms.stream_many

        def stream_many(**kwargs: Any) -> OutcomeStream:
            calls.append(kwargs)
            return original(**kwargs)

        bsg.sms.stream_many = stream_many  # type: ignore[method-assign]
        with pytest.raises(InvalidParameterError):
            await bsg.sms.send_many(to=["380972000001"], text="", sender="Shop")

    assert calls == [{"to": ["380972000001"], "text": "", "sender": "Shop"}]
