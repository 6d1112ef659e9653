"""The permission tables as docs/permissions.md shows them, rendered from `access.roles` (a test keeps them equal).

`python -m access.table` prints them, to paste into the docs after a change.
"""

from __future__ import annotations

from access.roles import LINK_PERMISSIONS, OWN_ORDERS_ONLY, ROLE_PERMISSIONS, Permission, Role

# What people do to one work order, in the order a job goes, with the permission each needs.
ORDER_ACTIONS: tuple[tuple[str, Permission], ...] = (
    ("read the order (GET, console page)", Permission.READ_WORK_ORDERS),
    ("acknowledge (接單)", Permission.TRANSITION_WORK_ORDERS),
    ("arrive (到場)", Permission.TRANSITION_WORK_ORDERS),
    ("resolve (完工)", Permission.TRANSITION_WORK_ORDERS),
    ("comment", Permission.COMMENT_WORK_ORDERS),
    ("close (歸檔)", Permission.CLOSE_WORK_ORDERS),
    ("cancel", Permission.CANCEL_WORK_ORDERS),
    ("dispatch / reassign (派單)", Permission.ASSIGN_WORK_ORDERS),
    ("follow-up call (回訪)", Permission.FOLLOW_UP_WORK_ORDERS),
    ("register a request (報修)", Permission.CREATE_WORK_ORDERS),
)
YES, NO = "✓", "—"


def _cell(role: Role, permission: Permission, *, own: bool) -> str:
    if permission not in ROLE_PERMISSIONS[role]:
        return NO
    return YES if own or permission not in OWN_ORDERS_ONLY[role] else NO


def order_table() -> str:
    """Roles × work-order actions; a role that holds some permissions for its own orders only gets two columns."""
    columns: list[tuple[str, Role, bool]] = []
    for role in Role:
        if OWN_ORDERS_ONLY[role]:
            columns += [(f"{role.value}: own order¹", role, True), (f"{role.value}: another's", role, False)]
        else:
            columns.append((role.value, role, True))
    head = ["action", "permission", *(title for title, _, _ in columns), "alert link²"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, permission in ORDER_ACTIONS:
        cells = [label, f"`{permission.value}`"]
        cells += [_cell(role, permission, own=own) for _, role, own in columns]
        cells.append(YES if permission in LINK_PERMISSIONS else NO)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def role_table() -> str:
    """Every permission × role: ✓ everywhere, `own orders` where it is held for the role's own orders only."""
    head = ["permission", *(role.value for role in Role)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for permission in Permission:
        cells = [f"`{permission.value}`"]
        for role in Role:
            held = permission in ROLE_PERMISSIONS[role]
            cells.append(("own orders" if permission in OWN_ORDERS_ONLY[role] else YES) if held else NO)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a helper for editing the docs
    print(order_table() + "\n\n" + role_table())
