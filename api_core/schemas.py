"""
Schemas every endpoint shares: the error answers, the strict base for request bodies, and
the OpenAPI description of bodies that endpoints parse themselves.

Endpoints read their JSON with `api_core.http.read_json` and validate it item by item (to
answer per item, with field paths), so ninja never sees the body and cannot describe it.
`body_of` and `body_inline` describe it from the same pydantic models instead.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema


class StrictIn(BaseModel):
    """A request body: exact JSON types, and no field the model does not name."""

    model_config = ConfigDict(extra="forbid", strict=True)


# --- Error answers ---------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str = Field(description="Dotted path of the offending field; empty for the body.")
    message: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    413: ErrorOut,
    422: ValidationErrorOut,
}


# --- Request bodies in the OpenAPI document ---------------------------------------------------

_COMPONENTS: dict[str, type[BaseModel]] = {}


def body_of(*models: type[BaseModel]) -> dict[str, Any]:
    """
    An endpoint's `openapi_extra`: a request body that is one of `models`, by reference.

    The models are published under their class names in the document's components (see
    `request_components`), so a body several endpoints accept is described once.
    """
    for model in models:
        _COMPONENTS[model.__name__] = model
    refs = [{"$ref": f"#/components/schemas/{model.__name__}"} for model in models]
    return _request_body(refs[0] if len(refs) == 1 else {"oneOf": refs})


def body_inline(model: type[BaseModel]) -> dict[str, Any]:
    """
    An endpoint's `openapi_extra`: a request body described in place, nested models too.

    For a body only one endpoint accepts. The models must not refer to themselves.
    """
    schema = model.model_json_schema(mode="validation")
    definitions = schema.pop("$defs", {})
    return _request_body(_resolve(schema, definitions))


def request_components() -> dict[str, Any]:
    """JSON schemas of the models named by `body_of`, for the document's components."""
    _, top = models_json_schema(
        [(model, "validation") for model in _COMPONENTS.values()],
        ref_template="#/components/schemas/{model}",
    )
    return top.get("$defs", {})


def _request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _resolve(node: Any, definitions: dict[str, Any]) -> Any:
    """`node` with every local `$ref` replaced by the definition it names."""
    if isinstance(node, list):
        return [_resolve(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(definitions[ref.removeprefix("#/$defs/")], definitions)
    return {key: _resolve(value, definitions) for key, value in node.items()}
