import pytest
from sqlalchemy import select

from facesaas.tenants.models import Tenant
from facesaas.tenants.service import TenantService, UnknownTenant, check_access_key


def test_create_stores_only_a_hash_of_the_key(tenants: TenantService) -> None:
    creds = tenants.create("bank")
    assert len(creds.tenant.access_id) == 16 and len(creds.access_key) == 32
    with tenants._sessions() as session:  # noqa: SLF001 - inspecting what is stored
        row = session.scalar(select(Tenant))
        stored = b"".join(str(v).encode() if not isinstance(v, bytes) else v for v in vars(row).values())
    assert creds.access_key.encode() not in stored
    assert check_access_key(row, creds.access_key.encode())
    assert not check_access_key(row, b"x" * 32)


def test_rotate_disable_list(tenants: TenantService) -> None:
    first = tenants.create("a")
    tenants.create("b")
    rotated = tenants.rotate(first.tenant.access_id)
    assert rotated.access_key != first.access_key
    row = tenants.credentials_of(first.tenant.access_id)
    assert check_access_key(row, rotated.access_key.encode())
    assert not check_access_key(row, first.access_key.encode())
    assert tenants.set_enabled(first.tenant.access_id, False).enabled is False
    assert [t.name for t in tenants.list()] == ["a", "b"]
    assert tenants.list()[0].enabled is False
    with pytest.raises(UnknownTenant):
        tenants.rotate("nobody")


@pytest.mark.parametrize("name", ["", "   ", "x" * 129])
def test_create_rejects_bad_names(tenants: TenantService, name: str) -> None:
    with pytest.raises(ValueError):
        tenants.create(name)


def test_credentials_of_reads_current_state(tenants: TenantService) -> None:
    creds = tenants.create("c")
    view = tenants.credentials_of(creds.tenant.access_id)
    assert view is not None and view.enabled
    assert check_access_key(view, creds.access_key.encode())  # the auth view has what checking needs
    tenants.set_enabled(creds.tenant.access_id, False)
    assert tenants.credentials_of(creds.tenant.access_id).enabled is False
    assert tenants.credentials_of("missing") is None


@pytest.mark.parametrize("bad", [-1, 2**31, True, 1.5])
def test_limits_must_fit_their_column(tenants: TenantService, bad: object) -> None:
    access_id = tenants.create("q").tenant.access_id
    with pytest.raises(ValueError):
        tenants.set_limits(access_id, per_day=bad)  # type: ignore[arg-type]
    assert tenants.set_limits(access_id, per_day=2**31 - 1).quota.per_day == 2**31 - 1
