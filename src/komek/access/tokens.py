"""Signed tokens (JWT, HS256): an access token for fifteen minutes and a refresh token for eight
hours. Each names the account and its token version, so disabling an account or changing its
role ends the tokens it had."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jwt

from komek.access.accounts import Actor
from komek.errors import SignInError

ACCESS, REFRESH = dt.timedelta(minutes=15), dt.timedelta(hours=8)


@dataclass(frozen=True)
class Tokens:
    secret: str

    def issue(self, actor: Actor, now: dt.datetime | None = None) -> dict:
        now = now or dt.datetime.now(dt.UTC)
        claims = {"sub": str(actor.id), "ver": actor.token_version, "role": actor.role, "iat": now}
        return {"access_token": jwt.encode({**claims, "kind": "access", "exp": now + ACCESS}, self.secret, "HS256"),
                "refresh_token": jwt.encode({**claims, "kind": "refresh", "exp": now + REFRESH}, self.secret, "HS256"),
                "token_type": "bearer", "expires_in": int(ACCESS.total_seconds())}

    def read(self, token: str, kind: str = "access") -> tuple[int, int]:
        """(account id, token version) of a valid, unexpired token of that kind; a SignInError otherwise."""
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError:
            raise SignInError("the token has expired") from None
        except jwt.InvalidTokenError:
            raise SignInError("not a valid token") from None
        if claims.get("kind") != kind:
            raise SignInError(f"not an {kind} token" if kind == "access" else f"not a {kind} token")
        return int(claims["sub"]), int(claims.get("ver", 0))
