import pytest

from openboard.domain import InvalidModelIdError, ModelId, ModelType, SubmissionRequest

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


@pytest.mark.parametrize("text", ["meta-llama/Llama-3.1-8B", "a/b", "Org_1/model.v2-final"])
def test_valid_model_ids_parse(text: str) -> None:
    assert str(ModelId.parse(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "", "noslash", "a/b/c", "../etc", "org/..", "/abs/path", "org\\name", "org/na\x00me",
        "org/-lead", "org/trail.", "org/a..b", "org/a--b", "o" * 97 + "/x", "org/name with space",
    ],
)  # fmt: skip
def test_invalid_model_ids_are_refused_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidModelIdError) as info:
        ModelId.parse(text)
    assert info.value.hint


def test_submission_request_normalizes_empty_revision_to_main() -> None:
    request = SubmissionRequest(model="a/b", revision="  ", model_type=ModelType.CHAT, sender="me")
    assert request.revision == "main"


def test_model_type_symbols_follow_the_public_site() -> None:
    assert ModelType.CHAT.symbol == "💬"
    assert ModelType.PRETRAINED.symbol == "🟢"
