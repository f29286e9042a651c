"""A FastAPI app: sign in with a one-time code that BSG sends by SMS (2FA).

Against BSG (a template with `{code2fa}`, approved in your account, and a registered sender):

    pip install bsg-async fastapi uvicorn
    export BSG_API_KEY=live_... BSG_OTP_TEMPLATE=12 BSG_OTP_SENDER=MyShop
    uvicorn examples.fastapi_otp:app

Or without an account, against the built-in fake (its template 1 is approved; the code the
"phone" received is read from the fake):

    bsg fake serve --port 8080 &            # or: python -m bsg_async.testing --port 8080 &
    export BSG_API_KEY=test_key BSG_ONE_API_URL=http://127.0.0.1:8080
    uvicorn examples.fastapi_otp:app --port 8000
    curl -X POST localhost:8000/login/code -H 'content-type: application/json' \
         -d '{"phone": "380501234567"}'                      # -> {"login_id": "...", ...}
    curl 'localhost:8080/_fake/otp-code?to=380501234567'    # -> {"code": "..."}
    curl -X POST localhost:8000/login/verify -H 'content-type: application/json' \
         -d '{"login_id": "<login_id>", "code": "<code>"}'  # -> {"token": "...", ...}

- One `AsyncBSG` for the app's whole life, opened and closed by the lifespan
  (`create_app(bsg_client)`: tests pass a client on `FakeBSG().transport`).
- `POST /login/code` sends a code to the phone; the answer's `login_id` (the BSG session id)
  goes back with the code to `POST /login/verify`, which signs the user in.
- Each typed error of `bsg.otp.verify` is its own HTTP answer: a wrong code 401 (the user may
  type it again), an expired code 410, a session whose tries are spent 403 (both: ask for a
  new code), an unknown login 404, a malformed code 422. The code is never logged.
- `POST /login/resend` sends a new code for the same login; `GET /me` with
  `Authorization: Bearer <token>` answers who signed in.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

from bsg_async import (
    AsyncBSG,
    BSGError,
    InvalidParameterError,
    NotFoundError,
    OtpCanceledError,
    OtpExhaustedError,
    OtpExpiredError,
    OtpSession,
    OtpWrongCodeError,
)
from bsg_async.client import DEFAULT_ONE_API_URL

TEMPLATE = int(os.environ.get("BSG_OTP_TEMPLATE", "1"))  # an approved template's id
SENDER = os.environ.get("BSG_OTP_SENDER", "MyShop")
CODE_LIFETIME = timedelta(minutes=5)
MAX_TRIES = 3


def default_client() -> AsyncBSG:
    """The client: key from BSG_API_KEY; BSG_ONE_API_URL points it elsewhere (a local fake)."""
    return AsyncBSG(one_api_url=os.environ.get("BSG_ONE_API_URL", DEFAULT_ONE_API_URL))


class CodeRequest(BaseModel):
    phone: str


class Verification(BaseModel):
    login_id: str
    code: str


class Resend(BaseModel):
    login_id: str


def create_app(bsg_client: Callable[[], AsyncBSG] = default_client) -> FastAPI:
    """The app, its BSG client made by `bsg_client` when it starts."""
    # Signed-in users by token. Use your session store in a real app.
    signed_in: dict[str, str] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with bsg_client() as bsg:  # closed on shutdown, whatever happens
            app.state.bsg = bsg
            yield

    app = FastAPI(title="Sign in with a one-time code", lifespan=lifespan)

    def refused(error: InvalidParameterError) -> dict[str, Any]:
        return {"field": error.field, "reason": error.reason}

    def login(session: OtpSession) -> dict[str, Any]:
        expires = session.expires_at
        return {
            "login_id": session.id,
            "expires_at": None if expires is None else expires.isoformat(),
            "max_tries": session.max_tries,
        }

    @app.post("/login/code", status_code=201)
    async def send_code(request: CodeRequest) -> dict[str, Any]:
        bsg: AsyncBSG = app.state.bsg
        try:
            session = await bsg.otp.send(
                to=request.phone,
                sender=SENDER,
                template=TEMPLATE,
                validity=CODE_LIFETIME,
                max_tries=MAX_TRIES,
            )
        except InvalidParameterError as error:  # refused before anything was sent
            raise HTTPException(422, detail=refused(error)) from None
        except BSGError as error:  # BSG refused, or could not be reached
            raise HTTPException(502, detail=str(error)) from None
        return login(session)

    @app.post("/login/resend")
    async def resend_code(request: Resend) -> dict[str, Any]:
        bsg: AsyncBSG = app.state.bsg
        try:
            session = await bsg.otp.resend(request.login_id)
        except (OtpExpiredError, OtpExhaustedError, OtpCanceledError):
            raise HTTPException(410, detail={"error": "login_over"}) from None
        except (InvalidParameterError, NotFoundError):
            raise HTTPException(404, detail={"error": "unknown_login"}) from None
        except BSGError as error:
            raise HTTPException(502, detail=str(error)) from None
        return login(session)

    @app.post("/login/verify")
    async def verify_code(request: Verification) -> dict[str, Any]:
        bsg: AsyncBSG = app.state.bsg
        try:
            session = await bsg.otp.verify(request.login_id, request.code)
        except OtpWrongCodeError:
            raise HTTPException(401, detail={"error": "wrong_code"}) from None
        except (OtpExpiredError, OtpCanceledError):
            raise HTTPException(410, detail={"error": "code_expired"}) from None
        except OtpExhaustedError:
            raise HTTPException(403, detail={"error": "too_many_tries"}) from None
        except NotFoundError:
            raise HTTPException(404, detail={"error": "unknown_login"}) from None
        except InvalidParameterError as error:  # a malformed code or id; never echoed
            raise HTTPException(422, detail=refused(error)) from None
        except BSGError as error:
            raise HTTPException(502, detail=str(error)) from None
        token = secrets.token_urlsafe(24)
        signed_in[token] = session.to or ""
        return {"token": token, "phone": session.to}

    @app.get("/me")
    async def me(authorization: str = Header(default="")) -> dict[str, Any]:
        scheme, _, token = authorization.partition(" ")
        phone = signed_in.get(token) if scheme.lower() == "bearer" else None
        if phone is None:
            raise HTTPException(401, detail={"error": "not_signed_in"})
        return {"phone": phone}

    return app


app = create_app()
