"""docs/api.md, made from the app's OpenAPI document (`openboard dev api-docs`; a test fails when
the page is stale), so that the reference and the routes cannot drift apart."""

from typing import Any

__all__ = ["api_reference"]

_HEAD = """# HTTP API

Made from openboard's OpenAPI document by `openboard dev api-docs`; a running server serves the
document itself at `/openapi.json` (and an explorer at `/docs`). Every HTML page has a JSON twin:
`/api/...`, or the page's URL with `?format=json`. Reading is open; submitting and moderating need
`Authorization: Bearer obt_...` (an API token: `openboard users token NAME`) or a signed-in
browser session with the form's CSRF token. Errors are JSON: `{"detail": "what was wrong (how to
fix it)"}`.

```sh
curl -s localhost:8000/api/leaderboard?q=llama | jq '.rows[0]'
curl -s -X POST localhost:8000/api/submissions -H "Authorization: Bearer $OPENBOARD_TOKEN" \\
  -H 'content-type: application/json' -d '{"model": "myorg/tiny", "model_type": "pretrained"}'
```

Operations, by path:
"""


def api_reference(openapi: dict[str, Any]) -> str:
    sections = [_HEAD]
    for path, operations in sorted(openapi.get("paths", {}).items()):
        for method, operation in operations.items():
            sections.append(_operation(path, method, operation))
    return "\n".join(sections)


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    lines = [f"## `{method.upper()} {path}`", ""]
    summary = (op.get("description") or op.get("summary") or "").strip()
    if summary:
        lines += [_escape(summary.splitlines()[0]), ""]
    params = op.get("parameters", [])
    if params:
        lines += ["| parameter | in | required | type |", "| --- | --- | --- | --- |"]
        lines += [
            f"| `{p['name']}` | {p.get('in', '')} | {'yes' if p.get('required') else 'no'} "
            f"| {_type(p.get('schema', {}))} |"
            for p in params
        ]
        lines.append("")
    body = op.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        lines += [f"Body: `{media}`, {_type(content.get('schema', {}))}.", ""]
    codes = ", ".join(f"`{code}`" for code in sorted(op.get("responses", {})))
    if codes:
        lines += [f"Answers: {codes}.", ""]
    return "\n".join(lines)


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}`"
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    return f"`{schema.get('type', 'any')}`"


def _escape(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")
