"""Settings from the environment (KOMEK_*), overridable by command-line flags."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from komek.errors import FieldError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOMEK_")

    data_dir: Path = Path("komek-data")
    database_url: str | None = None   # default: SQLite inside data_dir
    secret_key: str | None = None     # signs the API's tokens; default: a key made once in data_dir
    payment_secret: str | None = None  # the sandbox payment provider's signing secret; default: derived from the signing key

    # Notifications (docs/cases.md): where SMS go, and how the relay retries.
    sms_gateway: Literal["file", "http"] = "file"   # file: DATA_DIR/notifications/sent.jsonl and the log
    sms_url: str | None = None                      # the SMS provider's endpoint (sms_gateway http)
    sms_token: SecretStr | None = None              # its bearer token
    sms_timeout: float = Field(10.0, gt=0)          # seconds for one request
    notify_attempts: int = Field(8, ge=1)           # attempts before a notification is dead
    notify_backoff: float = Field(10.0, ge=0)       # seconds before the first retry, doubling each time
    notify_backoff_max: float = Field(3600.0, ge=0)  # the longest wait between two attempts
    notify_lease: float = Field(60.0, gt=0)         # seconds a worker's claim holds; then another may send
    sms_inbound_secret: str | None = None           # signs the SMS gateway's inbound callbacks; default: derived

    def signing_key(self) -> str:
        """KOMEK_SECRET_KEY, else the data folder's own key (made on first use, readable by its owner only)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            import secrets
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48), "utf-8")
        return path.read_text("utf-8").strip()

    def payment_key(self) -> str:
        """KOMEK_PAYMENT_SECRET, else one derived from the signing key (so a token's key is never the provider's)."""
        if self.payment_secret:
            return self.payment_secret
        import hashlib
        import hmac
        return hmac.new(self.signing_key().encode(), b"komek payment provider", hashlib.sha256).hexdigest()

    def sms_inbound_key(self) -> str:
        """KOMEK_SMS_INBOUND_SECRET, else one derived from the signing key (as the payment provider's is)."""
        if self.sms_inbound_secret:
            return self.sms_inbound_secret
        import hashlib
        import hmac
        return hmac.new(self.signing_key().encode(), b"komek sms inbound", hashlib.sha256).hexdigest()

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'komek.sqlite').as_posix()}"

    @property
    def database_display(self) -> str:
        """The database URL with any password hidden, for messages and logs."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError
        try:
            return make_url(self.database).render_as_string(hide_password=True)
        except ArgumentError:
            return "(not a database URL)"


def settings(**overrides) -> Settings:
    """The settings in force: environment first, then any non-None override (a CLI flag). A value
    that is not valid is a FieldError naming its variable."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as e:
        first = e.errors()[0]
        raise FieldError(f"KOMEK_{str(first['loc'][0]).upper()}", first["msg"]) from None
