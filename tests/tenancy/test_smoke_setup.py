import pytest
from django.db import connection

from dealers.models import StaffAbsence
from dms.tenancy.context import as_dealer
from tests.factories import DealerFactory, MembershipFactory


@pytest.mark.django_db
def test_runtime_role_is_restricted_and_rls_filters():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
    a, b = DealerFactory(), DealerFactory()
    ma, mb = MembershipFactory(dealer=a), MembershipFactory(dealer=b)
    with as_dealer(a):
        StaffAbsence.objects.create(
            dealer=a, membership=ma, starts_on="2026-01-01", ends_on="2026-01-02", reason="leave"
        )
    with as_dealer(b):
        StaffAbsence.objects.create(
            dealer=b, membership=mb, starts_on="2026-01-01", ends_on="2026-01-02", reason="leave"
        )
        assert StaffAbsence.objects.count() == 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT dealer_id FROM dealers_staffabsence")
            assert cursor.fetchall() == [(b.pk,)]
