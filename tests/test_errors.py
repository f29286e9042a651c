"""The exception tree: every documented code and HTTP status maps to its family."""

from __future__ import annotations

import pytest

import bsg_async
from bsg_async import (
    AccountError,
    APIError,
    AuthenticationError,
    BSGError,
    ClientStateError,
    DuplicateRecipientError,
    DuplicateReferenceError,
    FeatureNotEnabledError,
    InsufficientFundsError,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    SenderNotAllowedError,
    ServerError,
    TransportError,
    UndeliverableDestinationError,
    UnexpectedResponseError,
    WebhookPayloadError,
    errors,
)
from bsg_async.errors import DUPLICATE_REFERENCE_CODES, error_for_code, error_for_status

# code -> (family, request field the code is about): bsg-api.md sections 5 and 8.1.
DOCUMENTED_CODES: dict[int, tuple[type[APIError], str | None]] = {
    1: (AuthenticationError, None),  # invalid API key
    2: (AccountError, None),  # account blocked / not enough parameters
    3: (AccountError, None),
    4: (FeatureNotEnabledError, None),  # function not supported
    5: (ServerError, None),  # unknown error
    6: (InvalidRequestError, "tariff"),  # non-existent tariff
    7: (InvalidRequestError, None),  # invalid parameters
    8: (InsufficientFundsError, None),  # not enough funds
    9: (InvalidRequestError, "tariff"),  # tariff inactive
    10: (InvalidRequestError, None),  # invalid sending time
    11: (RateLimitError, None),  # too many messages processed simultaneously
    12: (InvalidRequestError, None),  # batch size exceeded
    20: (NotFoundError, None),  # SMS not found
    21: (InvalidRequestError, "to"),
    22: (InvalidRequestError, "reference"),
    23: (DuplicateReferenceError, "reference"),
    24: (InvalidRequestError, None),  # invalid query payload
    25: (InvalidRequestError, "sender"),
    26: (InvalidRequestError, "text"),
    27: (InvalidRequestError, "reference"),
    28: (InvalidRequestError, "validity"),
    29: (InvalidRequestError, "task_id"),  # the task id is incorrect
    30: (NotFoundError, None),  # task not found
    31: (DuplicateRecipientError, "to"),  # phone already in the list
    32: (SenderNotAllowedError, "sender"),
    33: (UndeliverableDestinationError, "to"),  # no route to that network
    34: (FeatureNotEnabledError, None),  # OTP
    35: (FeatureNotEnabledError, None),  # 2WAY not activated
    36: (InvalidRequestError, "sender"),  # incorrect sender for 2WAY
    40: (NotFoundError, None),  # Viber message not found
    41: (InvalidRequestError, "to"),  # invalid phone number
    43: (DuplicateReferenceError, "reference"),  # external ID already exists
    44: (InvalidRequestError, None),  # invalid request payload
    45: (SenderNotAllowedError, "sender"),  # sender not registered
    46: (InvalidRequestError, "text"),  # text empty or longer than 1,000
    47: (InvalidRequestError, "reference"),
    48: (InvalidRequestError, "validity"),
    49: (InvalidRequestError, "options"),  # invalid options combination
    51: (DuplicateRecipientError, "to"),  # the same phone twice
}


@pytest.mark.parametrize(("code", "family"), DOCUMENTED_CODES.items(), ids=str)
def test_documented_code_maps_to_its_family_and_field(
    code: int, family: tuple[type[APIError], str | None]
) -> None:
    cls, field = family
    error = error_for_code(code, "described", http_status=200)
    assert type(error) is cls
    assert error.field == field
    assert error.code == code
    assert error.description == "described"
    assert error.http_status == 200


def test_every_code_section_5_lists_is_mapped() -> None:
    section_5 = {20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 40, 43}
    section_8_1 = {*range(1, 13), 41, 44, 45, 46, 47, 48, 49, 51}
    assert section_5 | section_8_1 == set(DOCUMENTED_CODES)


@pytest.mark.parametrize(
    ("code", "description", "cls"),
    [
        (20, "SMS not found", NotFoundError),
        (30, "Task not found", NotFoundError),
        (40, "Message not found", NotFoundError),
        (43, "External ID already exists", DuplicateReferenceError),
    ],
)
def test_documented_error_answers_keep_their_description(
    code: int, description: str, cls: type[APIError]
) -> None:
    error = error_for_code(code, description)
    assert isinstance(error, cls)
    assert str(error) == f"{description} (code {code})"


def test_duplicate_reference_codes_are_23_and_43() -> None:
    assert {23, 43} == DUPLICATE_REFERENCE_CODES


def test_duplicate_recipient_is_an_invalid_request() -> None:
    assert issubclass(DuplicateRecipientError, InvalidRequestError)


@pytest.mark.parametrize("code", [0, 13, 42, 50, 52, 999, -1])
def test_an_unknown_code_is_a_plain_api_error_with_code_and_description(code: int) -> None:
    error = error_for_code(code, "something new")
    assert type(error) is APIError
    assert error.code == code
    assert error.description == "something new"
    assert error.field is None
    assert str(error) == f"something new (code {code})"


def test_a_code_without_description_still_reads_well() -> None:
    error = error_for_code(20, None)
    assert error.description
    assert "20" in str(error)


def test_code_11_is_a_rate_limit_without_advised_wait() -> None:
    error = error_for_code(11, "Too many messages processed simultaneously", http_status=200)
    assert isinstance(error, RateLimitError)
    assert error.retry_after is None
    assert error.http_status == 200


# -- HTTP statuses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (409, InvalidRequestError),
        (422, InvalidRequestError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (302, APIError),
    ],
)
def test_http_status_maps_to_its_family(status: int, cls: type[APIError]) -> None:
    error = error_for_status(status, "answer text")
    assert type(error) is cls
    assert error.http_status == status
    assert error.code is None
    assert str(error) == f"answer text (HTTP {status})"


def test_http_429_keeps_the_advised_wait() -> None:
    error = error_for_status(429, "Too many duplicate request detected", retry_after=30.0)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 30.0


def test_http_429_without_advice_has_no_wait() -> None:
    error = error_for_status(429, None)
    assert isinstance(error, RateLimitError)
    assert error.retry_after is None


def test_http_422_names_the_field_the_service_named() -> None:
    error = error_for_status(422, "The given data was invalid.", field="phones")
    assert isinstance(error, InvalidRequestError)
    assert error.field == "phones"


@pytest.mark.parametrize(
    ("status", "phrase"),
    [(401, "Unauthorized"), (404, "Not Found"), (503, "Service Unavailable"), (499, "HTTP error")],
)
def test_a_status_without_description_reads_as_its_reason(status: int, phrase: str) -> None:
    assert str(error_for_status(status, None)) == f"{phrase} (HTTP {status})"


# -- the tree and its fields ---------------------------------------------------------------


def test_invalid_parameter_error_is_a_value_error_with_field_value_and_reason() -> None:
    error = InvalidParameterError("tariff", 10, "expected an integer from 0 to 9")
    assert isinstance(error, ValueError)
    assert isinstance(error, BSGError)
    assert (error.field, error.value, error.reason) == (
        "tariff",
        10,
        "expected an integer from 0 to 9",
    )
    assert str(error) == "invalid tariff=10: expected an integer from 0 to 9"


def test_invalid_parameter_error_is_caught_by_except_value_error() -> None:
    with pytest.raises(ValueError, match="tariff"):
        raise InvalidParameterError("tariff", 10, "out of range")


def test_invalid_parameter_error_shortens_a_long_value() -> None:
    error = InvalidParameterError("text", "x" * 500, "too long")
    assert len(str(error)) < 120
    assert str(error).startswith("invalid text='xxx")


def test_client_state_error_is_a_runtime_error() -> None:
    error = ClientStateError("this AsyncBSG is closed; create a new one")
    assert isinstance(error, RuntimeError)
    assert isinstance(error, BSGError)
    assert str(error) == "this AsyncBSG is closed; create a new one"


def test_webhook_payload_error_is_a_value_error_naming_the_field() -> None:
    error = WebhookPayloadError("bad status", field="$.status")
    assert isinstance(error, ValueError)
    assert error.field == "$.status"
    assert str(error) == "bad status"


def test_unexpected_response_error_carries_status_body_and_field() -> None:
    error = UnexpectedResponseError("not JSON", http_status=502, body="<html>", field="$")
    assert (error.http_status, error.body, error.field) == (502, "<html>", "$")
    assert str(error) == "not JSON"


def test_request_timeout_is_a_transport_error_keeping_its_cause() -> None:
    cause = TimeoutError("read timed out")
    with pytest.raises(TransportError) as info:
        raise RequestTimeoutError("ReadTimeout on POST /sms/create") from cause
    assert isinstance(info.value, RequestTimeoutError)
    assert info.value.__cause__ is cause


EVERY_ERROR: list[BSGError] = [
    BSGError("x"),
    InvalidParameterError("f", 1, "r"),
    ClientStateError("x"),
    TransportError("x"),
    RequestTimeoutError("x"),
    UnexpectedResponseError("x"),
    WebhookPayloadError("x"),
    APIError("x", code=99),
    RateLimitError("x", http_status=429),
    *(error_for_code(code, "x") for code in DOCUMENTED_CODES),
    *(error_for_status(status, "x") for status in (401, 404, 422, 429, 500)),
]


@pytest.mark.parametrize("error", EVERY_ERROR, ids=lambda e: type(e).__name__)
def test_may_have_been_accepted_defaults_to_false(error: BSGError) -> None:
    assert error.may_have_been_accepted is False


def test_may_have_been_accepted_can_be_set() -> None:
    assert TransportError("reset", may_have_been_accepted=True).may_have_been_accepted is True
    assert APIError("x", code=5, may_have_been_accepted=True).may_have_been_accepted is True
    assert RateLimitError("x", may_have_been_accepted=True).may_have_been_accepted is True


@pytest.mark.parametrize("error", EVERY_ERROR, ids=lambda e: type(e).__name__)
def test_str_of_an_error_is_a_readable_sentence(error: BSGError) -> None:
    text = str(error)
    assert text
    assert text == error.message
    assert "Error(" not in text


def test_every_exported_exception_derives_from_bsg_error() -> None:
    exported = [getattr(bsg_async, name) for name in bsg_async.__all__]
    errors = [obj for obj in exported if isinstance(obj, type) and issubclass(obj, BaseException)]
    assert len(errors) >= 20
    assert all(issubclass(cls, BSGError) for cls in errors)


def test_every_api_error_family_is_an_api_error() -> None:
    for cls, _ in DOCUMENTED_CODES.values():
        assert issubclass(cls, APIError)


# -- errors are built once, complete --------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "field"),
    [
        (errors.APIError("refused", code=7), "may_have_been_accepted"),
        (errors.RateLimitError("slow down", http_status=429, retry_after=2.0), "retry_after"),
        (errors.ServerError("down", http_status=503), "description"),
        (errors.UnexpectedResponseError("odd", field="$.id"), "field"),
    ],
)
def test_an_error_field_cannot_be_changed_once_made(error: errors.BSGError, field: str) -> None:
    before = getattr(error, field)

    with pytest.raises(AttributeError, match="set when the error is made"):
        setattr(error, field, "changed")

    assert getattr(error, field) == before


def test_python_still_chains_and_annotates_an_error() -> None:
    error = errors.APIError("refused", code=7)
    cause = ValueError("why")

    with pytest.raises(errors.APIError) as info:
        raise error from cause
    error.add_note("one")
    error.add_note("two")

    assert info.value.__cause__ is cause
    assert error.__notes__ == ["one", "two"]


def test_fate_unknown_is_a_copy_that_says_the_service_may_hold_it() -> None:
    error = errors.InvalidRequestError(
        "bad", http_status=422, field="phone", errors={"reference_id": ["taken"]}
    )

    copy = errors.fate_unknown(error)

    assert copy is not error and type(copy) is type(error)
    assert copy.may_have_been_accepted is True
    assert error.may_have_been_accepted is False  # the original is never changed
    assert (copy.description, copy.http_status, copy.field, copy.errors) == (
        error.description,
        error.http_status,
        error.field,
        error.errors,
    )
    assert str(copy) == str(error)
    assert errors.fate_unknown(copy) is copy


def test_str_shows_what_the_error_holds() -> None:
    limited = errors.RateLimitError("Too many requests", http_status=429, retry_after=3.0)
    invalid = errors.InvalidRequestError("Invalid", http_status=422, errors={"text": ["empty"]})

    assert str(limited) == "Too many requests (HTTP 429); retry after 3 s"
    assert str(invalid) == "Invalid (HTTP 422): text: empty"
