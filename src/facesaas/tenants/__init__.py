"""Customers (tenants): AccessID, hashed AccessKey, enabled flag."""

from facesaas.tenants.service import NewCredentials, TenantInfo, TenantService, UnknownTenant, check_access_key

__all__ = ["NewCredentials", "TenantInfo", "TenantService", "UnknownTenant", "check_access_key"]
