"""Who may do what: the roles, the permissions, and the one table that grants permissions to roles.

Shared by the JSON API and the web console (neither imports the other): API routes declare the permission
they need with `api.deps.require(Permission.…)`, console pages ask `Viewer.may`, and both check an order's
ownership with `access.orders`. Changing what a role may do is an edit here alone; docs/permissions.md is
generated from these tables (`access.table`) and a test keeps the two equal.
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
    MANAGE_KEYS = "keys:manage"  # who holds access: API keys and the sign-in audit log; admins only
    READ_ALARMS = "alarms:read"
    ACKNOWLEDGE_ALARMS = "alarms:acknowledge"
    READ_WORK_ORDERS = "work_orders:read"
    CREATE_WORK_ORDERS = "work_orders:create"  # resident requests (報修)
    ASSIGN_WORK_ORDERS = "work_orders:assign"  # dispatch (派單), reassign
    TRANSITION_WORK_ORDERS = "work_orders:transition"  # the field work: acknowledge, arrive, resolve
    COMMENT_WORK_ORDERS = "work_orders:comment"
    FOLLOW_UP_WORK_ORDERS = "work_orders:follow_up"  # the call to the resident afterwards (回訪)
    DELETE_WORK_ORDERS = "work_orders:delete"
    READ_SLA = "sla:read"
    READ_BILLING = "billing:read"
    RUN_BILLING = "billing:run"  # finalise statements, record meter swaps and manual readings; admin and staff
    RESET_BASELINES = "rules:reset_baseline"  # relearn a car's normal after an overhaul; admin and staff
    CLOSE_WORK_ORDERS = "work_orders:close"  # resolved → closed (歸檔): the service centre signs the job off
    CANCEL_WORK_ORDERS = "work_orders:cancel"  # withdraw an order nobody has reached
    RELOAD_SITE = "site:reload"  # read the site file again into the running hub; admins only
    ADOPT_DEVICES = "devices:adopt"  # add a discovered device to the site file (and reload); admin and staff
    SHELVE_ALARMS = "alarms:shelve"  # put a firing alarm aside for a while, plan an asset's maintenance window
    READ_MAINTENANCE = "maintenance:read"  # planned maintenance: due tasks, records, photos, the CSV export
    RECORD_MAINTENANCE = "maintenance:record"  # fill in a maintenance checklist (保养记录) with photos
    SIGN_OFF_MAINTENANCE = "maintenance:sign_off"  # sign a contractor's (委外) visit record off; admin and staff
    WALK_PATROLS = "patrols:walk"  # start a patrol route, record checkpoints, answer the sensors (巡检)
    READ_PATROLS = "patrols:read"  # every patrol's record, the CSV export, the checkpoint label sheet
    READ_REPORTS = "reports:read"  # the monthly operations report (月度小结), PDF and Excel


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
        Permission.READ_MAINTENANCE,
        Permission.RECORD_MAINTENANCE,
        Permission.WALK_PATROLS,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # Staff run the site day to day; key management and reloading the site file are kept for admins.
    Role.STAFF: frozenset(Permission) - {Permission.MANAGE_KEYS, Permission.RELOAD_SITE},
    # Crews work jobs in the field: they take, reach and finish orders and write notes; closing, cancelling,
    # dispatch and the follow-up call are the service centre's.
    Role.CREW: _CREW,
    # The fee system pulls priced consumption and nothing else.
    Role.FEE_MODULE: frozenset({Permission.READ_API_SCHEMA, Permission.READ_BILLING}),
}

# Permissions a role holds for its own work orders only (its team's, assigned to it, or nobody's yet: see
# `access.orders`); every other permission of a role reaches every order of the site.
OWN_ORDERS_ONLY: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(),
    Role.STAFF: frozenset(),
    Role.CREW: frozenset({Permission.TRANSITION_WORK_ORDERS, Permission.COMMENT_WORK_ORDERS}),
    Role.FEE_MODULE: frozenset(),
}

# What an alert's signed link lets its holder do, on the one order it names (no other page, no other order).
LINK_PERMISSIONS: frozenset[Permission] = frozenset(
    {Permission.READ_WORK_ORDERS, Permission.TRANSITION_WORK_ORDERS, Permission.COMMENT_WORK_ORDERS}
)


def allows(role: Role, permission: Permission) -> bool:
    """Whether keys of `role` may use endpoints that require `permission`."""
    return permission in ROLE_PERMISSIONS[role]
