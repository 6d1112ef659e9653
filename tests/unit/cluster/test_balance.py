"""The balance plan: fair shares, little movement, no flapping, never a site with a live owner."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cluster.balance import plan, preference


def converge(sites: Sequence[str], replicas: Sequence[str], owners: dict[str, str], rounds: int = 10) -> int:
    """Let every replica follow its plan in turn (acquire is atomic: a taken site stays the taker's) until quiet.

    Returns how many sites changed hands; fails if the replicas never settle.
    """
    moves = 0
    for _ in range(rounds):
        changed = False
        for replica in replicas:
            held = {site for site, owner in owners.items() if owner == replica}
            decided = plan(sites, replicas, owners, replica, held)
            for site in decided.release:
                assert owners.pop(site) == replica
                changed = True
            for site in decided.acquire:
                assert site not in held
                if site not in owners:
                    owners[site] = replica
                    moves += 1
                    changed = True
        if not changed:
            return moves
    raise AssertionError(f"no steady state after {rounds} rounds: {Counter(owners.values())}")


def assert_fair(sites: Sequence[str], replicas: Sequence[str], owners: dict[str, str]) -> None:
    assert set(owners) == set(sites)
    loads = Counter(owners.values())
    floor, ceiling = len(sites) // len(replicas), math.ceil(len(sites) / len(replicas))
    assert all(floor <= loads[replica] <= ceiling for replica in replicas), loads


def test_a_lone_replica_takes_every_site_even_before_its_heartbeat_is_seen() -> None:
    decided = plan(["s1", "s2", "s3"], live=[], owners={}, me="a", held=())
    assert decided.acquire == ("s1", "s2", "s3")
    assert decided.release == ()
    assert decided.target == 3


def test_no_sites_means_nothing_to_do() -> None:
    assert plan([], live=["a", "b"], owners={}, me="a", held=()) == plan([], live=[], owners={}, me="a", held=())
    assert plan([], live=[], owners={}, me="a", held=()).acquire == ()


def test_a_thousand_sites_spread_fairly_over_seven_replicas() -> None:
    sites = [f"site-{n:04d}" for n in range(1000)]
    replicas = [f"replica-{n}" for n in range(7)]
    owners: dict[str, str] = {}
    converge(sites, replicas, owners)
    assert_fair(sites, replicas, owners)


def test_a_replica_joining_takes_a_fair_share_and_only_that_much_moves() -> None:
    sites = [f"s{n}" for n in range(30)]
    owners: dict[str, str] = {}
    converge(sites, ["a", "b", "c"], owners)
    before = dict(owners)
    moves = converge(sites, ["a", "b", "c", "d"], owners)
    assert_fair(sites, ["a", "b", "c", "d"], owners)
    assert Counter(owners.values())["d"] == moves  # every move went to the newcomer, none between the others
    assert sum(before[site] != owner for site, owner in owners.items()) == moves
    assert converge(sites, ["a", "b", "c", "d"], owners) == 0  # steady: nothing flaps


def test_a_replica_leaving_spreads_its_sites_over_the_rest_without_moving_theirs() -> None:
    sites = [f"s{n}" for n in range(40)]
    owners: dict[str, str] = {}
    converge(sites, ["a", "b", "c", "d"], owners)
    survivors = {site: owner for site, owner in owners.items() if owner != "d"}
    owners = dict(survivors)  # d's leases expired
    converge(sites, ["a", "b", "c"], owners)
    assert_fair(sites, ["a", "b", "c"], owners)
    assert all(owners[site] == owner for site, owner in survivors.items())


def test_a_site_with_a_live_lease_is_never_planned_even_if_its_owner_looks_dead() -> None:
    owners = {"s1": "ghost"}  # the lease has not expired yet; the ghost's heartbeat has
    for me in ("a", "b"):
        decided = plan(["s1", "s2"], live=["a", "b"], owners=owners, me=me, held=())
        assert "s1" not in decided.acquire
        assert "s1" not in decided.release


def test_one_over_the_floor_is_not_surplus_so_nothing_flaps() -> None:
    sites = [f"s{n}" for n in range(10)]
    owners = {site: "c" if n < 4 else "b" if n < 7 else "a" for n, site in enumerate(sites)}
    assert Counter(owners.values()) == {"c": 4, "b": 3, "a": 3}
    for me in "abc":
        held = {site for site, owner in owners.items() if owner == me}
        decided = plan(sites, live=["a", "b", "c"], owners=owners, me=me, held=held)
        assert (decided.acquire, decided.release) == ((), ())


def test_surplus_goes_to_a_short_replica_least_preferred_first() -> None:
    owners = {f"s{n}": "a" for n in range(6)}
    decided = plan(sorted(owners), live=["a", "b"], owners=owners, me="a", held=set(owners))
    assert len(decided.release) == 3  # b is short: a gives up its three least preferred
    kept = set(owners) - set(decided.release)
    assert max(preference(site, "a") for site in decided.release) < min(preference(site, "a") for site in kept)


def test_a_held_site_no_longer_configured_is_released() -> None:
    decided = plan(["s1"], live=["a"], owners={"s1": "a", "old": "a"}, me="a", held={"s1", "old"})
    assert decided.release == ("old",)
    assert decided.acquire == ()


def test_a_fenced_site_whose_lease_is_still_ours_is_taken_back() -> None:
    decided = plan(["s1", "s2"], live=["a"], owners={"s1": "a"}, me="a", held=())
    assert decided.acquire == ("s1", "s2")


def test_sites_up_for_grabs_go_to_anyone_but_never_when_owned() -> None:
    sites = ["s1", "s2", "s3", "s4"]
    owners = {"s1": "a", "s2": "a", "s3": "b"}
    decided = plan(sites, live=["a", "b"], owners=owners, me="a", held={"s1", "s2"}, up_for_grabs=["s4", "s3"])
    assert decided.acquire == ("s4",)  # a is at its share already, but b has not taken s4 for too long


@pytest.mark.parametrize(
    "odd", ["a b", "ü/é:1", "🏢", "replica\x00nul", "\ud800", "x" * 10_000, "DROP TABLE replicas; --", "-"]
)
def test_replica_ids_with_odd_characters_work(odd: str) -> None:
    sites = [f"s{n}" for n in range(9)]
    owners: dict[str, str] = {}
    converge(sites, [odd, "plain", "1"], owners)
    assert_fair(sites, [odd, "plain", "1"], owners)


def test_preference_separates_ids_that_concatenate_alike() -> None:
    assert preference("ab", "c") != preference("a", "bc")


@pytest.mark.parametrize(
    ("sites", "me", "message"),
    [
        (["s1", "s2", "s1", "s3", "s3"], "a", "repeated: s1, s3"),
        (["s1", ""], "a", r"sites\[1\]: '' is not a site id"),
        (["s1", None], "a", r"sites\[1\]: None"),
        (["s1"], "", "replica id '' must be a non-empty string"),
    ],
)
def test_bad_input_is_refused_naming_what(sites: list[str], me: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan(sites, live=[], owners={}, me=me, held=())


views = st.integers(min_value=0, max_value=40).flatmap(
    lambda n: st.tuples(
        st.just([f"s{i}" for i in range(n)]),
        st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=6, unique=True),
        st.lists(st.integers(min_value=-1, max_value=5), min_size=n, max_size=n),
    )
)


@given(views)
def test_any_view_plans_only_what_is_allowed(view: tuple[list[str], list[str], list[int]]) -> None:
    sites, replicas, holders = view
    # holders[i]: index of the replica holding sites[i]; -1: free; past the list: a dead replica, lease still live
    owners = {
        site: (replicas[h] if h < len(replicas) else f"dead-replica-{h}")
        for site, h in zip(sites, holders, strict=True)
        if h >= 0
    }
    for me in replicas:
        held = {site for site, owner in owners.items() if owner == me}
        decided = plan(sites, replicas, owners, me, held)
        assert set(decided.release) <= held
        assert all(site not in owners for site in decided.acquire)
        assert not set(decided.acquire) & set(decided.release)
        assert len(held) - len(decided.release) >= min(len(held), decided.target)


@given(views)
def test_from_any_start_the_live_replicas_settle_on_fair_shares(view: tuple[list[str], list[str], list[int]]) -> None:
    sites, replicas, holders = view
    owners = {site: replicas[h] for site, h in zip(sites, holders, strict=True) if 0 <= h < len(replicas)}
    converge(sites, replicas, owners)
    if sites:
        assert_fair(sites, replicas, owners)
    assert converge(sites, replicas, owners) == 0
