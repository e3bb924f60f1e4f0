"""Who is signed in to the pages, and forms that only this site can post.

- **The session** is a signed cookie (HS256 with the settings' signing key, as the API's tokens):
  the account, its token version (disabling an account or changing its role ends its sessions,
  as its tokens), a random session id, and an expiry. HttpOnly, SameSite=Strict, Secure over https.
  An expired or missing session sends the browser to the sign-in page, and from there back. Past
  half its lifetime, the next page gives a fresh one (a person at work is not signed out); a
  disabled account's session ends on its next page.
- **CSRF**: every POST form carries a token bound to a random nonce kept in a cookie of its own
  (HttpOnly, SameSite=Strict): the token is the nonce's HMAC under the signing key, so a form made
  elsewhere cannot have it. A POST whose token does not match is refused and changes nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import jwt
from fastapi import Request

from komek import access

SESSION, NONCE = "komek_session", "komek_csrf"
LIFETIME = dt.timedelta(hours=1)


class SignedOut(Exception):
    """No session, or one that has expired or is no longer valid: sign in (again)."""


class CsrfRefused(Exception):
    """A POST without this site's form token."""


def _key(request: Request) -> str:
    return request.app.state.settings.signing_key()


def cookie_options(request: Request) -> dict:
    return {"httponly": True, "samesite": "strict", "secure": request.url.scheme == "https", "path": "/"}


def issue(request: Request, actor: access.Actor, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    claims = {"sub": str(actor.id), "ver": actor.token_version, "sid": secrets.token_urlsafe(16), "kind": "web",
              "iat": now, "exp": now + LIFETIME}
    return jwt.encode(claims, _key(request), "HS256")


def actor(request: Request) -> access.Actor:
    """The enabled account the session cookie names, at its token version; SignedOut otherwise.
    Read once per request; a session past half its lifetime is renewed (`renewal`)."""
    known = getattr(request.state, "actor", None)
    if known is None:
        try:
            known = _actor(request)
        except SignedOut as e:
            known = e
        request.state.actor = known
    if isinstance(known, SignedOut):
        raise known
    return known


def _actor(request: Request) -> access.Actor:
    token = request.cookies.get(SESSION)
    if not token:
        raise SignedOut("sign in first")
    try:
        claims = jwt.decode(token, _key(request), algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError:       # expired, or not ours
        raise SignedOut("the session has ended") from None
    found = access.find(request.app.state.settings.database, int(claims["sub"]))
    if claims.get("kind") != "web" or found is None or found.token_version != claims.get("ver"):
        raise SignedOut("the session is no longer valid")
    if dt.datetime.now(dt.UTC).timestamp() - claims.get("iat", 0) > LIFETIME.total_seconds() / 2:
        request.state.renewal = issue(request, found)
    return found


def signed_in(response, request: Request, token: str) -> None:
    """The session cookie set on `response`."""
    response.set_cookie(SESSION, token, max_age=int(LIFETIME.total_seconds()), **cookie_options(request))


def renewal(request: Request) -> str | None:
    """The fresh session a page read past half its lifetime, to be set on its answer."""
    return getattr(request.state, "renewal", None)


def maybe(request: Request) -> access.Actor | None:
    try:
        return actor(request)
    except SignedOut:
        return None


def nonce(request: Request) -> str:
    """The browser's CSRF nonce, made on its first page (the middleware sets the cookie)."""
    if not hasattr(request.state, "nonce"):
        request.state.nonce = request.cookies.get(NONCE) or secrets.token_urlsafe(24)
    return request.state.nonce


def csrf_token(request: Request) -> str:
    return hmac.new(_key(request).encode(), b"csrf:" + nonce(request).encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, token: str | None) -> None:
    if not request.cookies.get(NONCE) or not hmac.compare_digest(csrf_token(request), token or ""):
        raise CsrfRefused("the form did not come from this site's page")
