"""Storage backends: the metadata database (and, in later releases, vectors and images)."""

from facesaas.storage.database import Base, Database, create_database

__all__ = ["Base", "Database", "create_database"]
