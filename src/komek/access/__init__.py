"""Who may see what: accounts with roles and regions, passwords hashed with Argon2, short-lived
signed tokens, and the access log of every read of personal data. A wing: the services ask it
who the actor is and write to its log; the faces only carry the token."""
from komek.access import accounts
from komek.access.accounts import Actor, account, add, authenticate, disable, find, list_accounts, set_language, set_role
from komek.access.keys import KEY_ROLES, add_key, key_actor, list_keys, revoke_key
from komek.access.log import entries, record, record_in
from komek.access.tokens import Tokens

ROLES = accounts.ROLES

__all__ = ["KEY_ROLES", "ROLES", "Actor", "Tokens", "account", "add", "add_key", "authenticate", "disable", "entries", "find",
           "key_actor", "list_accounts", "list_keys", "record", "record_in", "revoke_key", "set_language", "set_role"]
