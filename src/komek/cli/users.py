"""`komek users`: accounts for the API (add, list, disable, set-role). Passwords are asked for
twice without echo, or read from a file; they are stored only as Argon2 hashes."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from komek.cli.common import Database, DataDir, UserError, config, console, user_errors

users_app = typer.Typer(help="Accounts of the API: roles, regions, disabling.", no_args_is_help=True)

Role = Annotated[str, typer.Option("--role", help="citizen, caseworker, supervisor, auditor, analyst or administrator")]
Regions = Annotated[Optional[list[str]], typer.Option("--region", help="A KATO region the account serves (repeatable)")]
Iin = Annotated[Optional[str], typer.Option("--iin", help="A citizen's own IIN")]


@users_app.command("add")
def add(username: Annotated[str, typer.Argument(help="User name")], role: Role, region: Regions = None, iin: Iin = None,
        password_file: Annotated[Optional[Path], typer.Option("--password-file", help="Read the password from this file")] = None,
        data_dir: DataDir = None, database: Database = None) -> None:
    """Add an account (the password is asked for, or read from --password-file)."""
    with user_errors():
        from komek import access
        if password_file is not None:
            password = password_file.read_text("utf-8").strip()
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        actor = access.add(config(data_dir, database).database, username, password, role, tuple(region or ()), iin)
        console.print(f"account {actor.username} added: {actor.role}" + (f", regions {', '.join(actor.regions)}" if actor.regions else ""))


@users_app.command("list")
def list_(data_dir: DataDir = None, database: Database = None) -> None:
    """The accounts, IINs masked."""
    with user_errors():
        from komek import access
        from komek.kz.iin import mask
        t = Table(title="Accounts")
        for col in ("username", "role", "regions", "IIN", "disabled", "created"):
            t.add_column(col)
        for a in access.list_accounts(config(data_dir, database).database):
            t.add_row(a["username"], a["role"], a["regions"], mask(a["iin"]) or "", "yes" if a["disabled"] else "",
                      f"{a['created']:%Y-%m-%d}")
        console.print(t)


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="User name")], data_dir: DataDir = None, database: Database = None) -> None:
    """Disable an account: it can no longer sign in, and its tokens stop working."""
    with user_errors():
        from komek import access
        access.disable(config(data_dir, database).database, username)
        console.print(f"account {username} disabled")


@users_app.command("set-role")
def set_role(username: Annotated[str, typer.Argument(help="User name")], role: Role, region: Regions = None, iin: Iin = None,
             data_dir: DataDir = None, database: Database = None) -> None:
    """Give an account another role (and regions); its tokens stop working."""
    with user_errors():
        from komek import access
        if role not in access.ROLES:
            raise UserError(f"--role: unknown role {role!r} (one of: {', '.join(access.ROLES)})")
        actor = access.set_role(config(data_dir, database).database, username, role, tuple(region or ()), iin)
        console.print(f"account {actor.username}: {actor.role}" + (f", regions {', '.join(actor.regions)}" if actor.regions else ""))


keys_app = typer.Typer(help="API keys of other systems: a role and regions, shown once, revocable.", no_args_is_help=True)
users_app.add_typer(keys_app, name="key")


@keys_app.command("add")
def key_add(name: Annotated[str, typer.Argument(help="The system's name")],
            role: Annotated[str, typer.Option("--role", help="caseworker, auditor or analyst")], region: Regions = None,
            data_dir: DataDir = None, database: Database = None) -> None:
    """Make a key for a system; it is printed once, here, and kept only as a hash."""
    with user_errors():
        from komek import access
        key = access.add_key(config(data_dir, database).database, name, role, tuple(region or ()))
        console.print(f"API key for {name} ({role}); it is shown only now, send it as the X-API-Key header:")
        print(key)


@keys_app.command("list")
def key_list(data_dir: DataDir = None, database: Database = None) -> None:
    """The keys: name, prefix, role, regions, made and revoked (never the key)."""
    with user_errors():
        from komek import access
        t = Table(title="API keys")
        for col in ("name", "prefix", "role", "regions", "created", "revoked"):
            t.add_column(col)
        for k in access.list_keys(config(data_dir, database).database):
            t.add_row(k["name"], k["prefix"], k["role"], k["regions"], f"{k['created']:%Y-%m-%d}",
                      f"{k['revoked']:%Y-%m-%d}" if k["revoked"] else "")
        console.print(t)


@keys_app.command("revoke")
def key_revoke(name: Annotated[str, typer.Argument(help="The system's name")], data_dir: DataDir = None,
               database: Database = None) -> None:
    """Revoke a system's key: it stops working at once."""
    with user_errors():
        from komek import access
        access.revoke_key(config(data_dir, database).database, name)
        console.print(f"API key {name} revoked")
