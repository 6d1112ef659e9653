"""Who may do what: the roles of API keys and the one table that grants permissions to them.

Routers never test roles; they declare the permission they need with `require(Permission.…)`
(`api.deps`), so changing what a role may do is an edit to `ROLE_PERMISSIONS` alone.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    CREW = "crew"
    FEE_MODULE = "fee_module"


class Permission(StrEnum):
    READ_API_SCHEMA = "api:schema"  # the OpenAPI document; every role
    READ_SITE = "site:read"  # site tree and assets
    READ_READINGS = "readings:read"
    READ_DEAD_LETTERS = "dead_letters:read"
    READ_METRICS = "metrics:read"
    MANAGE_KEYS = "keys:manage"
    # For the alarm, work-order and billing routers being written alongside this package.
    READ_ALARMS = "alarms:read"
    ACKNOWLEDGE_ALARMS = "alarms:acknowledge"
    READ_WORK_ORDERS = "work_orders:read"
    CREATE_WORK_ORDERS = "work_orders:create"  # resident requests (報修)
    ASSIGN_WORK_ORDERS = "work_orders:assign"
    TRANSITION_WORK_ORDERS = "work_orders:transition"  # acknowledge, arrive, resolve, close, cancel
    COMMENT_WORK_ORDERS = "work_orders:comment"
    FOLLOW_UP_WORK_ORDERS = "work_orders:follow_up"  # the call to the resident afterwards (回訪)
    DELETE_WORK_ORDERS = "work_orders:delete"
    READ_SLA = "sla:read"
    READ_BILLING = "billing:read"
    RUN_BILLING = "billing:run"  # finalise statements; admin and staff
    RESET_BASELINES = "rules:reset_baseline"  # relearn a car's normal after an overhaul; admin and staff


_CREW: frozenset[Permission] = frozenset(
    {
        Permission.READ_API_SCHEMA,
        Permission.READ_SITE,
        Permission.READ_READINGS,
        Permission.READ_ALARMS,
        Permission.ACKNOWLEDGE_ALARMS,
        Permission.READ_WORK_ORDERS,
        Permission.TRANSITION_WORK_ORDERS,
        Permission.COMMENT_WORK_ORDERS,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # Staff run the site day to day; only key management is kept for admins.
    Role.STAFF: frozenset(Permission) - {Permission.MANAGE_KEYS},
    # Crews work jobs in the field: they move and comment on work orders but do not delete them.
    Role.CREW: _CREW,
    # The fee system pulls priced consumption and nothing else.
    Role.FEE_MODULE: frozenset({Permission.READ_API_SCHEMA, Permission.READ_BILLING}),
}


def allows(role: Role, permission: Permission) -> bool:
    """Whether keys of `role` may use endpoints that require `permission`."""
    return permission in ROLE_PERMISSIONS[role]
