"""Operators of the service (not customers): console accounts with scrypt-hashed passwords,
their database-backed sessions with CSRF tokens, and per-username login throttling."""

from facesaas.operators.service import NewSession, OperatorInfo, OperatorService, SessionInfo, UnknownOperator

__all__ = ["NewSession", "OperatorInfo", "OperatorService", "SessionInfo", "UnknownOperator"]
