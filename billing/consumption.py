"""Consumption of one meter between two register values, across replacements and register rollovers.

end − start when the meter was not swapped; with swaps in between, the use of each physical meter is added:
(old final − start) + (new initial → next old final) + … + (end − last new initial). A drop of the register
is a rollover when the meter has a `rollover` maximum and the drop fits one; any other drop is flagged for
review, never silently billed or zeroed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from billing.money import BILLING_CONTEXT
from billing.registers import RegisterValue, Replacement, unwrap

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Consumption:
    """A meter's use over a period and how it was found.

    `quantity` is None when there was no reading at all to go by; it is negative only together with `review`.
    """

    start: RegisterValue | None
    end: RegisterValue | None
    quantity: Decimal | None
    replacements: tuple[Replacement, ...] = ()
    rollovers: int = 0
    review: str | None = None

    @property
    def estimated(self) -> bool:
        """True if either boundary was estimated or there was nothing to measure."""
        return self.quantity is None or any(v is not None and v.estimated for v in (self.start, self.end))

    @property
    def estimate_method(self) -> str | None:
        """What was estimated and how, in words for the statement; None for a measured line."""
        if self.quantity is None:
            return "no readings: nothing to measure or estimate from"
        parts = [
            f"{side}: {value.method.value} ({value.detail})"
            for side, value in (("start", self.start), ("end", self.end))
            if value is not None and value.estimated
        ]
        return "; ".join(parts) or None


def consumption(
    start: RegisterValue | None,
    end: RegisterValue | None,
    replacements: tuple[Replacement, ...],
    rollover: Decimal | None,
) -> Consumption:
    """Use between `start` and `end`; `replacements` are the swaps between the two boundaries, oldest first."""
    if start is None or end is None:
        missing = " and ".join(side for side, v in (("start", start), ("end", end)) if v is None)
        return Consumption(start, end, None, replacements, review=f"no readings to find the {missing} register")
    legs: list[tuple[Decimal, Decimal, str]] = []
    previous, previous_label = start.value, f"start register {start.value} at {start.ts.isoformat()}"
    for swap in replacements:
        at = swap.replaced_at.isoformat()
        legs.append((previous, swap.old_final, f"{previous_label} to the old meter's final {swap.old_final} at {at}"))
        previous, previous_label = swap.new_initial, f"the new meter's initial {swap.new_initial} at {at}"
    legs.append((previous, end.value, f"{previous_label} to end register {end.value} at {end.ts.isoformat()}"))
    total, rollovers, drops = _ZERO, 0, []
    with localcontext(BILLING_CONTEXT):
        for begin, finish, label in legs:
            used, wrapped = unwrap(finish - begin, rollover)
            rollovers += wrapped
            if used < 0:
                drops.append(f"register went down by {-used}: {label}")
            total += used
    review = None
    if drops:
        review = "; ".join(drops) + "; record the meter replacement or check the meter, then bill again"
    return Consumption(start, end, total, replacements, rollovers, review)
