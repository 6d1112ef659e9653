"""Which sites this replica should take and which it should give up, from one look at the lease table.

Pure and deterministic: every replica computes the same global picture from the same view, and acts on its own
part of it. Fair share: with S sites and N live replicas each gets ⌊S/N⌋ or ⌈S/N⌉ (the S mod N replicas already
holding the most get the ceiling, so little moves). Free sites go to the replica that prefers them most among
those below their target (rendezvous hashing on (site, replica), so a site's preferred replica does not change
when an unrelated replica comes or goes). A replica gives up its surplus, least preferred first, only while
another live replica is below its target: no site moves back and forth. A site with a live lease is never
planned for anyone but its owner.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """What one replica should do now: take these leases (starting the sites), give up those (stopping them)."""

    acquire: tuple[str, ...]
    release: tuple[str, ...]
    target: int  # how many sites this replica should end up holding


def preference(site_id: str, replica_id: str) -> int:
    """Rendezvous weight of (site, replica): the highest-weighted live replica is the site's preferred one."""
    # Length-prefixed so ("ab", "c") and ("a", "bc") differ whatever characters the ids hold.
    key = f"{len(site_id)}:{site_id}{replica_id}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def plan(
    sites: Sequence[str],
    live: Collection[str],
    owners: Mapping[str, str],
    me: str,
    held: Collection[str],
    up_for_grabs: Collection[str] = (),
) -> Plan:
    """Decide what `me` acquires and releases.

    `sites`: every site of the deployment (no duplicates). `live`: replicas with a fresh heartbeat (`me` counts
    as live even if absent). `owners`: site → owner of every lease not expired. `held`: the sites `me` runs now.
    `up_for_grabs`: free sites that have stayed free too long (their preferred replica cannot start them): any
    replica may take them, whatever its share.
    """
    _check(sites, me)
    known = set(sites)
    replicas = sorted(set(live) | {me})
    # Ours: leases of ours (running, or fenced while the database was away) and sites we run.
    mine = {site for site, owner in owners.items() if owner == me and site in known} | (set(held) & known)
    loads = Counter({replica: 0 for replica in replicas})
    for site, owner in owners.items():
        if site in known and owner in loads and owner != me:
            loads[owner] += 1
    loads[me] = len(mine)
    targets = _targets(len(sites), loads)

    release = set(held) - known | {site for site, owner in owners.items() if owner == me and site not in known}
    surplus = loads[me] - targets[me]
    others_short = any(loads[r] < targets[r] for r in replicas if r != me)
    if surplus > 0 and others_short:
        least_preferred = sorted(mine, key=lambda site: (preference(site, me), site))
        release |= set(least_preferred[:surplus])
    keep = mine - release

    free = sorted(site for site in sites if site not in owners and site not in held)
    taken = _assign_free(free, replicas, loads, targets)
    grabs = set(up_for_grabs)
    acquire = keep - set(held) | {site for site in free if taken.get(site) == me or site in grabs}
    return Plan(acquire=tuple(sorted(acquire)), release=tuple(sorted(release)), target=targets[me])


def _check(sites: Sequence[str], me: str) -> None:
    if not isinstance(me, str) or not me:
        raise ValueError(f"replica id {me!r} must be a non-empty string")
    for index, site in enumerate(sites):
        if not isinstance(site, str) or not site:
            raise ValueError(f"sites[{index}]: {site!r} is not a site id (a non-empty string)")
    repeated = sorted(site for site, count in Counter(sites).items() if count > 1)
    if repeated:
        raise ValueError(f"sites: each site must be listed once; repeated: {', '.join(repeated)}")


def _targets(total: int, loads: Mapping[str, int]) -> dict[str, int]:
    """⌈total/N⌉ for the total mod N replicas holding the most (ties by id), ⌊total/N⌋ for the rest."""
    floor, extra = divmod(total, len(loads))
    by_load = sorted(loads, key=lambda replica: (-loads[replica], replica))
    return {replica: floor + (1 if rank < extra else 0) for rank, replica in enumerate(by_load)}


def _assign_free(
    free: Sequence[str], replicas: Sequence[str], loads: Mapping[str, int], targets: Mapping[str, int]
) -> dict[str, str]:
    """Each free site to its most-preferring replica that is still below target (the same answer on every replica)."""
    room = {replica: targets[replica] - loads[replica] for replica in replicas}
    taken: dict[str, str] = {}
    for site in free:
        ranked = sorted(replicas, key=lambda replica: (-preference(site, replica), replica))
        for replica in ranked:
            if room[replica] > 0:
                room[replica] -= 1
                taken[site] = replica
                break
    return taken
