"""Storage backends: the metadata database (SQLAlchemy, Alembic migrations) and the face-image
blob store. Vector indexes are :mod:`facesaas.vectors`."""

from facesaas.storage.database import Base, Database, create_database

__all__ = ["Base", "Database", "create_database"]
