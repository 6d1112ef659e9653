"""`facilities devices`: one MQTT account per device and gateway, and the Mosquitto files that enforce them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from facilities.cli.adopt import adopt
from facilities.cli.common import fail, settings_from_env, site_from
from facilities.mqtt_credentials import CredentialStore, CredentialStoreError, write_private
from facilities.mqtt_identities import HUB_USER, IdentityError, render_acl, site_identities

devices_app = typer.Typer(
    help="MQTT accounts of devices and gateways (one each, allowed to publish only its own topics); adopting one.",
    no_args_is_help=True,
)
devices_app.command("adopt")(adopt)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Credentials store (JSON, 0600); default $FACILITIES_DATA_DIR/mqtt-credentials.json."),
]


def _store_path(data_dir: Path, store: Path | None) -> Path:
    return store or data_dir / "mqtt-credentials.json"


@devices_app.command("credentials")
def credentials(
    site: Annotated[Path | None, typer.Option("--site", help="Site file; default $FACILITIES_SITE_FILE.")] = None,
    store: StoreOption = None,
    mosquitto_dir: Annotated[
        Path | None,
        typer.Option(
            "--mosquitto-dir",
            help="Where to write Mosquitto's `passwords` and `acl`; default $FACILITIES_DATA_DIR/mosquitto "
            "(the compose stack reads deploy/mosquitto/auth).",
        ),
    ] = None,
    rotate: Annotated[
        list[str] | None, typer.Option("--rotate", help="New password for this asset, gateway or user (repeatable).")
    ] = None,
    rotate_all: Annotated[
        bool, typer.Option("--rotate-all", help="New passwords for every account of the site.")
    ] = False,
    hub_user: Annotated[
        str | None, typer.Option("--hub-user", help="The hub's broker account; default $FACILITIES_MQTT_USERNAME.")
    ] = None,
    with_hub_password: Annotated[
        bool,
        typer.Option(
            "--with-hub-password",
            help="Also put the hub's account ($FACILITIES_MQTT_PASSWORD) in the password file, for a broker "
            "outside the compose stack (whose entrypoint adds it from MQTT_HUB_PASSWORD).",
        ),
    ] = False,
) -> None:
    """Create the site's accounts (keeping existing passwords), rotate some, and write Mosquitto's files."""

    settings = settings_from_env()
    loaded = site_from(settings, site)
    hub = hub_user or settings.mqtt_username or HUB_USER
    extra: dict[str, str] = {}
    if with_hub_password:
        if settings.mqtt_password is None:
            raise fail("--with-hub-password needs FACILITIES_MQTT_PASSWORD (the hub's own broker password)")
        extra[hub] = settings.mqtt_password.get_secret_value()
    path = _store_path(settings.data_dir, store)
    folder = mosquitto_dir or settings.data_dir / "mosquitto"
    try:
        planned = site_identities(loaded)
        kept = CredentialStore.load(path)
        report = kept.sync(
            loaded.id, planned.identities, now=datetime.now(UTC), rotate=rotate or (), rotate_all=rotate_all
        )
    except (IdentityError, CredentialStoreError) as exc:
        raise fail(str(exc)) from None
    if hub in kept.credentials:
        raise fail(f"the hub's account {hub!r} is also a device account; choose another --hub-user")
    kept.save(path)
    write_private(folder / "passwords", kept.password_file(extra=extra))
    write_private(folder / "acl", render_acl(kept.identities(), hub))
    gateways = sum(1 for i in planned.identities if i.kind.value == "gateway")
    typer.echo(
        f"site {loaded.id}: {len(planned.identities) - gateways} devices, {gateways} gateways; "
        f"{len(report.added)} new, {len(report.rotated)} rotated, {len(report.removed)} removed, {report.kept} kept"
    )
    for username in report.retargeted:
        typer.echo(f"  {username}: its topics changed with the site file's mappings")
    for username in report.removed:
        typer.echo(f"  {username}: no longer in the site file, removed (it can no longer log in)")
    typer.echo(f"wrote {path} (every account's password; keep it private), {folder / 'passwords'}, {folder / 'acl'}")
    for where in planned.unassigned:
        typer.secho(
            f"warning: {where} has no gateway, so no account may publish its topics; "
            'add gateway = "<name>" to the mapping',
            err=True,
            fg=typer.colors.YELLOW,
        )
    typer.echo("Restart Mosquitto to apply (docker-compose restart mosquitto; a broker of your own: kill -HUP).")


@devices_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Asset id, gateway name or username.")],
    store: StoreOption = None,
) -> None:
    """Print one account's username, password and topics, to configure that device or gateway."""

    settings = settings_from_env()
    path = _store_path(settings.data_dir, store)
    try:
        found = CredentialStore.load(path).find(name)
    except CredentialStoreError as exc:
        raise fail(str(exc)) from None
    if not found:
        raise fail(f"no account {name!r} in {path}; run `facilities devices credentials` for its site first")
    for credential in found:
        typer.echo(f"username: {credential.username}")
        typer.echo(f"password: {credential.password}")
        for topic in credential.topics:
            typer.echo(f"publish:  {topic}")
