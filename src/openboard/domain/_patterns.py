from openboard.domain._errors import InvalidModelIdError
from openboard.domain._model_id import ModelId


def parse_model_pattern(text: str) -> str:
    """A blocklist pattern: a model id `org/name`, or `org/*` for every model of a namespace."""
    org, slash, name = text.partition("/")
    if slash and name == "*":
        return f"{ModelId.parse(f'{org}/x').org}/*"
    try:
        return str(ModelId.parse(text))
    except InvalidModelIdError as exc:
        raise InvalidModelIdError(
            exc.message, "give org/name, or org/* for a whole namespace"
        ) from exc
