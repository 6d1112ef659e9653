"""One MQTT identity per device and per gateway, and the Mosquitto ACL that confines each one to its own topics.

A device that reports in our own format may publish `facilities/<site>/<asset_id>/telemetry` and nothing else;
a gateway (a bridge or a device whose firmware we do not control, declared with `gateway = "…"` on its
`[[mqtt_mappings]]`) may publish only its mappings' topic filters. Neither may subscribe or read: the ACL grants
them `topic write` only. The hub's own account alone reads (and publishes alerts). One compromised smart plug can
then fake its own readings, and no one else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.site import Circuit, Elevator, Meter, Site

HUB_USER = "facilities-hub"
# The compose stack's simulated community (--profile demo) publishes for every asset of a site with one account;
# deploy/mosquitto/entrypoint.sh adds it only when MQTT_SIMULATOR_PASSWORD is set.
SIMULATOR_USER = "facilities-simulator"


class IdentityKind(StrEnum):
    DEVICE = "device"
    GATEWAY = "gateway"


@dataclass(frozen=True, slots=True)
class Identity:
    """An account on the broker: who it is and the topic filters it may publish on."""

    username: str
    kind: IdentityKind
    site: str
    name: str  # the asset id of a device, the gateway's name from the site file
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SiteIdentities:
    identities: tuple[Identity, ...]
    # Mappings without `gateway`: no account may publish their topics; said aloud so nobody is surprised.
    unassigned: tuple[str, ...]


class IdentityError(ValueError):
    """The site file asks for an identity that cannot be made safely; the message names the mapping."""


def telemetry_topic(site_id: str, asset_id: str) -> str:
    return f"facilities/{site_id}/{asset_id}/telemetry"


def username_for(site_id: str, name: str) -> str:
    """`lakeview.B1-0101-W`: site-qualified, so several sites can share one broker."""
    return f"{site_id}.{name}"


def site_identities(site: Site) -> SiteIdentities:
    """Every device (an asset bound to MQTT) and every gateway of `site`, with the topics each may publish."""
    assets: list[Meter | Elevator | Circuit] = [*site.meters.values(), *site.elevators.values()]
    assets += site.circuits.values()
    devices = [
        Identity(username_for(site.id, a.id), IdentityKind.DEVICE, site.id, a.id, (telemetry_topic(site.id, a.id),))
        for a in assets
        if a.binding.protocol == "mqtt"
    ]
    topics_by_gateway: dict[str, list[str]] = {}
    unassigned: list[str] = []
    problems: list[str] = []
    asset_ids = {a.id for a in assets}
    for index, mapping in enumerate(site.mqtt_mappings):
        where = f"{site.source}: mqtt_mappings[{index}] {mapping.topic!r}"
        if mapping.gateway is None:
            unassigned.append(where)
            continue
        if mapping.gateway in asset_ids:
            problems.append(f"{where}: gateway {mapping.gateway!r} is also an asset id; give the gateway its own name")
            continue
        topic = mapping.subscription_filter()
        if _covers_device_telemetry(topic):
            problems.append(
                f"{where}: its topic also matches the devices' own facilities/<site>/<asset>/telemetry topics, so "
                f"gateway {mapping.gateway!r} could publish readings for any asset; make the pattern narrower"
            )
            continue
        if any(ord(char) < 32 or char in "\x7f\u0085\u2028\u2029" for char in topic):
            problems.append(f"{where}: the topic holds a control character or line break, which an ACL cannot hold")
            continue
        filters = topics_by_gateway.setdefault(mapping.gateway, [])
        if topic not in filters:
            filters.append(topic)
    if problems:
        raise IdentityError("\n".join(problems))
    gateways = [
        Identity(username_for(site.id, name), IdentityKind.GATEWAY, site.id, name, tuple(topics))
        for name, topics in topics_by_gateway.items()
    ]
    return SiteIdentities(tuple(devices + gateways), tuple(unassigned))


def _covers_device_telemetry(topic_filter: str) -> bool:
    levels = topic_filter.split("/")
    return len(levels) == 4 and levels[0] in ("facilities", "+") and levels[3] in ("telemetry", "+")


def render_acl(identities: list[Identity], hub_user: str) -> str:
    """A Mosquitto ACL file: the hub reads everything and may publish; each identity may publish its topics only."""
    lines = [
        "# Written by `facilities devices credentials`; do not edit, run the command again (see docs/security.md).",
        "# Comments stand on their own lines: Mosquitto would read a trailing comment as part of a topic.",
        "",
        "# The hub reads every device topic (its own format and the gateways' mappings) and publishes alerts.",
        f"user {hub_user}",
        "topic readwrite #",
        "topic read $SYS/#",
    ]
    for identity in sorted(identities, key=lambda i: i.username):
        lines += ["", f"# {identity.kind.value} {identity.name} of site {identity.site}: publish only"]
        lines.append(f"user {identity.username}")
        lines += [f"topic write {topic}" for topic in identity.topics]
    return "\n".join(lines) + "\n"
