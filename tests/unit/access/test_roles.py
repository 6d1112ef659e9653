"""The permission table, spelled out: what each role may do, literally (moved from tests/unit/api/test_permissions.py
when the table moved to `access`, shared by the API and the console)."""

from __future__ import annotations

from access.roles import ROLE_PERMISSIONS, Permission, Role, allows

P = Permission


def test_admin_has_every_permission() -> None:
    assert ROLE_PERMISSIONS[Role.ADMIN] == set(Permission)


def test_staff_has_everything_but_key_management_and_reloading_the_site() -> None:
    assert set(Permission) - ROLE_PERMISSIONS[Role.STAFF] == {P.MANAGE_KEYS, P.RELOAD_SITE}


def test_crew_transitions_and_comments_but_does_not_delete_or_create() -> None:
    assert ROLE_PERMISSIONS[Role.CREW] == {
        P.READ_API_SCHEMA,
        P.READ_SITE,
        P.READ_READINGS,
        P.READ_ALARMS,
        P.ACKNOWLEDGE_ALARMS,
        P.READ_WORK_ORDERS,
        P.TRANSITION_WORK_ORDERS,
        P.COMMENT_WORK_ORDERS,
        P.READ_MAINTENANCE,
        P.RECORD_MAINTENANCE,
        P.WALK_PATROLS,
    }
    assert not allows(Role.CREW, P.SIGN_OFF_MAINTENANCE)  # our staff sign a contractor's visit off
    assert not allows(Role.CREW, P.READ_PATROLS)  # their own patrols only, not every walker's records
    assert not allows(Role.CREW, P.DELETE_WORK_ORDERS)
    assert not allows(Role.CREW, P.CREATE_WORK_ORDERS)
    assert not allows(Role.CREW, P.FOLLOW_UP_WORK_ORDERS)
    assert not allows(Role.CREW, P.READ_DEAD_LETTERS)
    assert not allows(Role.CREW, P.READ_METRICS)


def test_fee_module_reads_billing_only() -> None:
    assert ROLE_PERMISSIONS[Role.FEE_MODULE] == {P.READ_API_SCHEMA, P.READ_BILLING}


def test_every_role_is_in_the_table() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert [role.value for role in Role] == ["admin", "staff", "crew", "fee_module"]


def test_the_permissions_there_are() -> None:
    assert [p.value for p in Permission] == [
        "api:schema",
        "site:read",
        "readings:read",
        "dead_letters:read",
        "metrics:read",
        "keys:manage",
        "alarms:read",
        "alarms:acknowledge",
        "work_orders:read",
        "work_orders:create",
        "work_orders:assign",
        "work_orders:transition",
        "work_orders:comment",
        "work_orders:follow_up",
        "work_orders:delete",
        "sla:read",
        "billing:read",
        "billing:run",
        "rules:reset_baseline",
        "work_orders:close",
        "work_orders:cancel",
        "site:reload",
        "devices:adopt",
        "alarms:shelve",
        "maintenance:read",
        "maintenance:record",
        "maintenance:sign_off",
        "patrols:walk",
        "patrols:read",
        "reports:read",
    ]
