"""`TenantForeignKey`: the only foreign key from one tenant table to another.

Citus colocates every tenant table on `dealer_id`: a row and the rows it points at live on the
same shard only if the dealer is part of the key. So a reference between two tenant tables is
always the pair `(dealer_id, x_id) → (dealer_id, id)`:

- in the database, a composite foreign key (`SameDealerForeignKey`, added to the model's
  constraints by this field: PostgreSQL itself refuses a row pointing at another dealer's row)
  and no single-column key (the target's primary key is `(dealer_id, id)`, see
  `TenantPrimaryKey`);
- in every ORM join (`select_related`, filters across the relation, `select_for_update`,
  reverse joins), `AND a.dealer_id = b.dealer_id` next to `a.x_id = b.id`, so that Citus can
  push the join down to one shard group (the approach of citusdata's django-multitenant
  `TenantForeignKey`) — when `settings.DMS_TENANT_JOINS` is on (Citus, and the test suite);
- when an instance's relation is fetched (`lead.customer`), the query names the dealer too, so
  Citus routes it to one shard.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.db.models.expressions import Col, ResolvedOuterRef
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode

from .rls import SameDealerForeignKey

TENANT_COLUMN = "dealer_id"

# ForeignKey's own type parameters (set / get types), so that django-stubs types the relation.
_ST = TypeVar("_ST", contravariant=True)
_GT = TypeVar("_GT", covariant=True)


def same_dealer_constraint_name(model_name: str, field_name: str) -> str:
    return f"{model_name}_{field_name}_same_dealer"


class TenantForeignKey(models.ForeignKey[_ST, _GT]):
    """A foreign key from a tenant model to another tenant model (same dealer, same shard)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("db_constraint", False):
            raise ValueError("TenantForeignKey's database key is the composite same-dealer key")
        kwargs["db_constraint"] = False
        super().__init__(*args, **kwargs)

    def contribute_to_class(
        self, cls: Any, name: str, private_only: bool = False, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only, **kwargs)
        if cls._meta.abstract:
            return
        constraint_name = same_dealer_constraint_name(cls._meta.model_name, name)
        # Historical models (migrations) already carry it in their state: never twice.
        if any(c.name == constraint_name for c in cls._meta.constraints):
            return
        # A new list: abstract parents share theirs with every subclass.
        cls._meta.constraints = [
            *cls._meta.constraints,
            SameDealerForeignKey(name=constraint_name, field=name),
        ]

    def get_extra_restriction(self, alias: str | None, related_alias: str | None) -> Any:
        """`related_alias.dealer_id = alias.dealer_id` in the join's ON clause (the field's own
        model is at `related_alias`, the target at `alias`; reverse joins swap them through the
        relation object). With one alias only, Django is turning an exclude() across the relation
        into a NOT EXISTS subquery (Query.trim_start): the subquery's table is then tied to the
        outer query's dealer, `inner.dealer_id = outer.dealer_id`, which is what lets Citus push
        the subquery down to the outer row's shard."""
        if not settings.DMS_TENANT_JOINS:
            return None  # one PostgreSQL server: see the setting
        own: Any = self.model._meta.get_field("dealer")
        target: Any = self.remote_field.model._meta.get_field("dealer")
        condition = WhereNode(connector=AND)
        if alias and related_alias:
            condition.add(Exact(Col(related_alias, own), Col(alias, target)), AND)
        elif alias:
            condition.add(Exact(Col(alias, target), ResolvedOuterRef(TENANT_COLUMN)), AND)
        elif related_alias:
            condition.add(Exact(Col(related_alias, own), ResolvedOuterRef(TENANT_COLUMN)), AND)
        else:
            return None
        return condition

    def get_extra_descriptor_filter(self, instance: Any) -> dict[str, Any]:
        """`instance.<field>` fetches the target with the instance's dealer: one shard."""
        dealer_id = getattr(instance, TENANT_COLUMN, None)
        return {TENANT_COLUMN: dealer_id} if dealer_id is not None else {}
