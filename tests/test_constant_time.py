"""Secrets are compared in constant time (docs/security.md, "Constant-time comparisons").

An AST scan of every module of the package for ``==``/``!=`` (and ``in``) where one side is
named like a secret (token, csrf, digest, signature, mac, tag, secret, password, hash, key
material). SQLAlchemy column expressions (``Model.column == value``: the database compares,
on hashes only) and ``len(...)`` are not Python comparisons of secrets. The few remaining hits
that compare public values are listed in :data:`ALLOWED` with the reason; anything new fails
until it uses ``hmac.compare_digest`` or is added there with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "facesaas"

SECRET_NAME = re.compile(
    r"(token|csrf|digest|signature|hmac|(^|_)mac($|_)|(^|_)tag($|_)|secret|password|passwd|(^|_)hash($|_)|key_hash|"
    r"access_key|package_key|master_key|private_key|md5|sha\d+|nonce)",
    re.IGNORECASE,
)

ALLOWED = {
    ("face/_models.py", "digest != model.sha256"):
        "a model file's SHA-256 against the public checksum pinned in the source: nothing secret",
    ("face/_models.py", "hashlib.sha256(data).hexdigest() != sha256"):
        "the same for a shipped model's bytes (load_pinned_session)",
    ("vectors/_faiss.py", "_file_digest(path) != manifest[path.name]"):
        "an index snapshot file's SHA-256 against its manifest, written beside it: an integrity check, nothing secret",
    ("audit/log.py", "row_hash(_fields(row)) != row.row_hash"): "the audit chain's SHA-256 links, which anyone holding the rows can recompute (docs/security.md): public, not secret",
    ("audit/log.py", "row.prev_hash != prev"): "the audit chain's SHA-256 links, which anyone holding the rows can recompute (docs/security.md): public, not secret",
    ("audit/log.py", "prev != head_hash"): "the audit chain's SHA-256 links, which anyone holding the rows can recompute (docs/security.md): public, not secret",
}
"""(path under src/facesaas, the comparison's source) -> why it is not a secret comparison."""


def _name(node: ast.AST) -> str:
    """The identifier a comparison operand is called by ('' when it has none of interest)."""
    if isinstance(node, ast.Name):
        return "" if node.id.isupper() else node.id  # a module constant (a size, a magic), not a secret
    if isinstance(node, ast.Attribute):
        return "" if node.attr.isupper() else node.attr
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in ("len", "isinstance", "type", "bool", "int"):
            return ""
        return _name(node.func)
    return ""


def _is_column(node: ast.AST) -> bool:
    """``Model.column`` with a capitalised class name: a SQL expression, compared by the database."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id[:1].isupper()


def secret_comparisons(source: str) -> list[tuple[int, str]]:
    """(line, source text) of every ``==``/``!=``/``in`` comparing something named like a secret."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            if not isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
                continue
            if _is_column(left) or _is_column(right):
                continue
            if isinstance(left, ast.Constant) and left.value is None or isinstance(right, ast.Constant) and right.value is None:
                continue
            if any(SECRET_NAME.search(_name(side)) for side in (left, right)):
                found.append((node.lineno, ast.get_source_segment(source, node) or ""))
    return found


def test_no_secret_is_compared_with_equality_in_the_package() -> None:
    hits = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        for line, text in secret_comparisons(path.read_text(encoding="utf-8")):
            if (relative, text) not in ALLOWED:
                hits.append(f"{relative}:{line}: {text}")
    assert hits == [], "compare secrets with hmac.compare_digest (or allow-list a public value with its reason):\n" + "\n".join(hits)


def test_every_allowed_comparison_still_exists() -> None:
    for (relative, text), _reason in ALLOWED.items():
        assert text in [t for _, t in secret_comparisons((SRC / relative).read_text(encoding="utf-8"))], (relative, text)


def test_the_scan_finds_planted_comparisons() -> None:
    planted = '''
def check(request, session, expected_signature):
    if request.headers["x-csrf-token"] != session.csrf_token:
        return False
    if hashlib.sha256(body).hexdigest() == stored_digest:
        pass
    ok = presented_token in valid_tokens
    fine = len(token) == 32 or OperatorSession.token_hash == token_hash(token) or token is None or len(key) != KEY_BYTES
    return expected_signature == request.signature
'''
    lines = [line for line, _ in secret_comparisons(planted)]
    assert lines == [3, 5, 7, 9]
