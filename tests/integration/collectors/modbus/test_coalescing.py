"""Requests counted on the simulator's side: N fields of a device cost the planned number of reads, no more."""

from __future__ import annotations

from pathlib import Path

from tests.integration.collectors.modbus.test_simulator import (
    meter,
    polling,
    readings,
    simulating,
    site_of,
    spooling,
    tcp,
)
from tests.support.services import free_port, wait_until

ONCE = "interval_s = 3600, timeout_s = 1"

# Seven fields: three holding registers in a row, two input fields close together, two far apart.
SPREAD = """registers = [
    { name = "a", table = "holding", address = 100, data_type = "uint16" },
    { name = "b", table = "holding", address = 101, data_type = "uint32" },
    { name = "c", table = "holding", address = 103, data_type = "float32" },
    { name = "d", table = "input", address = 0, data_type = "float32" },
    { name = "e", table = "input", address = 6, data_type = "uint16" },
    { name = "f", table = "input", address = 200, data_type = "int16" },
    { name = "g", table = "input", address = 320, data_type = "float64" },
]"""


def test_fields_are_coalesced_into_the_fewest_reads(tmp_path: Path) -> None:
    port = free_port()
    spread = " ".join(SPREAD.split())
    site = site_of(
        # 14 fields in 4 clusters: 0..17, 52..53, 70..75, 342..343; gaps over 8 registers start a new read.
        meter("SDM-NEAR", "electricity", tcp(port, 1, f'profile = "eastron_sdm630", {ONCE}')),
        # The same fields with max_gap = 40 read through the gaps: 0..75 is one read, 342..343 the other.
        meter("SDM-WIDE", "electricity", tcp(port, 2, f'profile = "eastron_sdm630", max_gap = 40, {ONCE}')),
        meter("SPREAD", "water", tcp(port, 3, f"{ONCE}, {spread}")),
        meter("SPREAD-SMALL", "water", tcp(port, 4, f"{ONCE}, max_read_registers = 4, {spread}")),
    )
    assets = ("SDM-NEAR", "SDM-WIDE", "SPREAD", "SPREAD-SMALL")
    with simulating(site) as sim, spooling(tmp_path, site) as spool:
        with polling(site, spool):
            wait_until(lambda: all(readings(spool, a) for a in assets), "one reading from each device", 10)
        counts = {a: (sim.requests(a, 3), sim.requests(a, 4)) for a in assets}
        fields = {a: len(readings(spool, a)[0].fields) for a in assets}
    assert fields == {"SDM-NEAR": 14, "SDM-WIDE": 14, "SPREAD": 7, "SPREAD-SMALL": 7}
    # (holding reads, input reads) as the server counted them.
    assert counts == {
        "SDM-NEAR": (0, 4),
        "SDM-WIDE": (0, 2),
        "SPREAD": (1, 3),  # holding 100..104; input 0..6, 200, 320..323
        # At most 4 registers a read: holding 100..102 and 103..104; input 0..1 and 6 apart as well.
        "SPREAD-SMALL": (2, 4),
    }
