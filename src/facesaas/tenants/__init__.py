"""Customers (tenants): AccessID, hashed AccessKey, enabled flag, and their liveness package
keys (created with the customer, rotated by the operator)."""

from facesaas.tenants.package_keys import PackageKeyInfo, PackageKeys
from facesaas.tenants.service import NewCredentials, TenantInfo, TenantService, UnknownTenant, check_access_key

__all__ = [
    "NewCredentials",
    "PackageKeyInfo",
    "PackageKeys",
    "TenantInfo",
    "TenantService",
    "UnknownTenant",
    "check_access_key",
]
