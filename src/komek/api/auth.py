"""Signing in and who is asking: the OAuth2 password flow (`POST /token`), refresh, and the
actor behind a bearer token or a system's API key (`X-API-Key`), which every route that needs
one depends on."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel

from komek import access
from komek.errors import SignInError
from komek.services import access_log

router = APIRouter(tags=["access"])
bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/token", auto_error=False)
api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A system's key (`komek users key add`)")
# Marks a route that answers with personal data: every call writes the access log (a test walks
# the OpenAPI document and proves it for each route so marked, and that no other route gives any).
PERSONAL = {"x-personal-data": True}
UNAUTHORIZED = {401: {"description": "No token or key, or one that is not valid, has expired or was revoked"}}


class Refresh(BaseModel):
    refresh_token: str


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


def _tokens(request: Request) -> access.Tokens:
    return access.Tokens(request.app.state.settings.signing_key())


def current_actor(request: Request, token: str | None = Depends(bearer),
                  key: str | None = Depends(api_key)) -> access.Actor:
    """The enabled account a valid access token names, at the token's version; or the system
    an unrevoked API key names."""
    if not token and key:
        return access.key_actor(request.app.state.settings.database, key)
    if not token:
        raise SignInError("sign in first: no bearer token or API key")
    account, version = _tokens(request).read(token)
    actor = access.find(request.app.state.settings.database, account)
    if actor is None or actor.token_version != version:
        raise SignInError("the token is no longer valid: sign in again")
    return actor


@router.post("/token", summary="Sign in: a short-lived access token and a refresh token", responses=UNAUTHORIZED)
def token(request: Request, form: OAuth2PasswordRequestForm = Depends()) -> TokenPair:
    actor = access.authenticate(request.app.state.settings.database, form.username, form.password)
    return TokenPair(**_tokens(request).issue(actor))


@router.post("/token/refresh", summary="A new access token for a refresh token", responses=UNAUTHORIZED)
def refresh(request: Request, body: Refresh) -> TokenPair:
    account, version = _tokens(request).read(body.refresh_token, kind="refresh")
    actor = access.find(request.app.state.settings.database, account)
    if actor is None or actor.token_version != version:
        raise SignInError("the token is no longer valid: sign in again")
    return TokenPair(**_tokens(request).issue(actor))


@router.get("/me", summary="Who is signed in: username, role, regions", responses=UNAUTHORIZED)
def me(actor: access.Actor = Depends(current_actor)) -> dict:
    return {"username": actor.username, "role": actor.role, "regions": list(actor.regions)}


@router.get("/me/access-log", summary="A citizen: who has looked at my data", openapi_extra=PERSONAL, responses={**UNAUTHORIZED, 403: {
    "description": "Only a citizen's own account reads its own log"}})
def my_access_log(request: Request, actor: access.Actor = Depends(current_actor)) -> list[dict]:
    return access_log.mine(actor, request.app.state.settings.database, client(request))


def client(request: Request) -> str | None:
    """The caller's address, for the access log."""
    return request.client.host if request.client else None
