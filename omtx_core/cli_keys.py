"""`python -m omtx_core keys create|list|revoke`: the REST API's keys; a key's token is shown once, at creation."""

from __future__ import annotations

import argparse
from datetime import datetime

from omtx_core.cli_jobs import shown

_COLUMNS = ("ID", "OWNER", "EMAIL", "LABEL", "ADMIN", "CREATED", "LAST USED", "REVOKED")


def add_keys_command(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser("keys", help="create, list and revoke API keys for the REST API")
    actions = keys.add_subparsers(dest="keys_command", required=True)

    create = actions.add_parser("create", help="make a key and print it once (it cannot be shown again)")
    create.add_argument(
        "--owner",
        required=True,
        help="whose jobs the key acts on: `local` (the local user, without sign-in) or a signed-in user's owner id "
        "(a UUID: the `owner` of their jobs in `jobs show JOB_ID --json`)",
    )
    create.add_argument("--label", default="", help="what the key is for (shown by `keys list`)")
    create.add_argument("--email", default="", help="the owner's e-mail address, for display only")
    create.add_argument("--admin", action="store_true", help="the key sees and acts on every owner's jobs")
    create.set_defaults(handler=_create)

    listing = actions.add_parser("list", help="list keys: id, owner, label, created, last used, revoked")
    listing.set_defaults(handler=_list)

    revoke = actions.add_parser("revoke", help="revoke a key at once (by its id, from `keys list`)")
    revoke.add_argument("key_id", help="the key's id: the part after `omtx_` up to the next `_`")
    revoke.set_defaults(handler=_revoke)


def _create(args: argparse.Namespace) -> int:
    from omtx_core.api.keys import check_owner, create_key, open_key_store

    settings = args.ctx.settings
    owner = check_owner(args.owner, settings, admin=args.admin)
    key, token = create_key(open_key_store(settings), owner, label=args.label, email=args.email, admin=args.admin)
    who = f"{key.owner}" + (f" ({key.email})" if key.email else "") + (", admin" if key.admin else "")
    print(shown(f"Created API key {key.id} for {who}."))
    print("Copy it now: it is stored only as a hash and cannot be shown again.")
    print(token)
    return 0


def _list(args: argparse.Namespace) -> int:
    from omtx_core.api.keys import open_key_store

    keys = open_key_store(args.ctx.settings).list_keys()
    if not keys:
        print("No API keys yet: make one with `python -m omtx_core keys create --owner <owner id>`.")
        return 0
    rows = [_COLUMNS] + [
        (
            key.id,
            key.owner,
            key.email or "-",
            key.label or "-",
            "yes" if key.admin else "no",
            _when(key.created_at),
            _when(key.last_used_at),
            _when(key.revoked_at),
        )
        for key in keys
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    for row in rows:
        print(shown("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from omtx_core.api.keys import open_key_store
    from omtx_core.domain.job import utcnow
    from omtx_core.errors import InputError

    key = open_key_store(args.ctx.settings).revoke(args.key_id.strip(), utcnow())
    if key is None:
        raise InputError.single(
            "key_id", f"There is no API key {args.key_id!r}.", "`python -m omtx_core keys list` shows the key ids."
        )
    print(shown(f"API key {key.id} ({key.owner}) is revoked since {_when(key.revoked_at)}; it is refused from now on."))
    return 0


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")
