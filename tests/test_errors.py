from pathlib import Path

from facesaas.errors import ERROR_CLASSES, FaceSaaSError, errors_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


def test_codes_are_unique_negative_and_documented() -> None:
    codes = [cls.rtn for cls in ERROR_CLASSES]
    assert len(codes) == len(set(codes))
    assert all(code < 0 for code in codes)
    assert all(cls.cause for cls in ERROR_CLASSES), "every error needs a documented cause"


def test_docs_errors_md_has_the_current_table() -> None:
    assert errors_markdown() in DOCS.read_text(encoding="utf-8"), "regenerate with `facesaas errors --markdown`"


def test_detail_is_appended_to_message() -> None:
    class Sample(FaceSaaSError):
        message = "bad thing"

    assert Sample("field x").client_message == "bad thing: field x"
    assert Sample().client_message == "bad thing"
