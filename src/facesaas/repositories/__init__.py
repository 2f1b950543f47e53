"""Face repositories (manual 9.3): register, delete and 1:N search, per customer."""

from facesaas.repositories.factory import OpenRepositories, open_repositories
from facesaas.repositories.store import BatchResult, FaceRepositories, Hit, NewFace, RepoInfo, RepoKey

__all__ = ["BatchResult", "FaceRepositories", "Hit", "NewFace", "OpenRepositories", "RepoInfo", "RepoKey", "open_repositories"]
