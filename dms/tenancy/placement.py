"""Where each table lives on a Citus cluster (docs/scaling.md, "Placement of every table").

- **distributed** on `dealer_id`, all colocated: every `TenantModel` table. A dealer's rows, and
  the rows they point at, live in one shard group, so a dealer's queries go to one worker.
- **coordinator**: tables written on nearly every request, or the importer's own bookkeeping,
  that no tenant query joins: sessions, login attempts, idempotency keys, the audit log (its
  `dealer_id` is empty for HQ actions, and its append-only guard is a trigger), rollup and export
  runs, migrations. A reference table would write them on every node (two-phase commit).
- **reference** (a copy on every node): everything else — HQ master data, dealers, regions,
  users, memberships (read at login before any tenant scope exists; a few rows per person),
  permissions. Tenant tables may point at them; they never point at a tenant table.

`placement()` decides for every table of the installed models; the static test
(tests/tenancy/test_citus_rules.py) and `manage.py citus_distribute` both read it.
"""

from __future__ import annotations

from typing import Any, Literal

from django.apps import apps

from .models import TenantModel

Placement = Literal["distributed", "reference", "coordinator"]

# Tables kept on the coordinator, with the reason (see the module docstring).
COORDINATOR_TABLES: dict[str, str] = {
    "django_session": "written on every request that changes the session",
    "django_migrations": "read and written by migrate on the coordinator only",
    "django_admin_log": "the admin's own log, never joined with tenant data",
    "security_usersession": "last-seen time written on every request",
    "idempotency_idempotentrequest": "one row per submitted form or API write",
    "axes_accessattempt": "one row per failed login",
    "axes_accessattemptexpiration": "belongs to axes_accessattempt",
    "axes_accessfailurelog": "one row per failed login",
    "axes_accesslog": "one row per login",
    "audit_auditentry": "HQ actions have no dealer; append-only trigger; never joined",
    "reports_kpirun": "the nightly rollup's run log (HQ)",
    "reports_exportjob": "export jobs of HQ and dealers, read by their requester only",
    "imports_importjob": "HQ import jobs (who, file, counts, errors): HQ bookkeeping, no dealer",
}


def model_tables() -> dict[str, type]:
    """Every table of an installed model (auto-created many-to-many tables included)."""
    tables: dict[str, type] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables[model._meta.db_table] = model
    return tables


def placement_of(table: str, model: type | None) -> Placement:
    if model is not None and issubclass(model, TenantModel):
        return "distributed"
    if table in COORDINATOR_TABLES:
        return "coordinator"
    return "reference"


def placement() -> dict[str, Placement]:
    """Every table the application has (its models' and django_migrations) → its placement."""
    tables: dict[str, type | None] = {**dict.fromkeys(COORDINATOR_TABLES), **model_tables()}
    return {table: placement_of(table, model) for table, model in sorted(tables.items())}


def distributed_tables() -> list[str]:
    return [t for t, p in placement().items() if p == "distributed"]


_CITUS: dict[str, bool] = {}


def on_citus(cursor: Any) -> bool:
    """Whether the connected database has the citus extension (asked once per database)."""
    name = cursor.db.settings_dict["NAME"]
    if name not in _CITUS:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        _CITUS[name] = bool(cursor.fetchone()[0])
    return _CITUS[name]
