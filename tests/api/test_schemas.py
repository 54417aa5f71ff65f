from __future__ import annotations

from types import NoneType
from typing import Any, Literal, get_args, get_origin

import pytest

from moderation.api.schemas import ReportIn, SignalIn, SubjectIn
from moderation.models import CaseSignal, PlatformAccount, Report, Subject


def literal_values(model: Any, field: str) -> set[str]:
    annotation = model.model_fields[field].annotation
    if get_origin(annotation) is not Literal:
        (annotation,) = [a for a in get_args(annotation) if a is not NoneType]
    return set(get_args(annotation))


@pytest.mark.parametrize(
    ("model", "field", "choices"),
    [
        (ReportIn, "source", Report.Source.values),
        (SubjectIn, "type", Subject.Type.values),
        (SubjectIn, "chat_kind", Subject.ChatKind.values),
        (SubjectIn, "author_kind", PlatformAccount.Kind.values),
        # A blocked search term is tagged here (search_policy), never sent by the platform.
        (SignalIn, "kind", sorted(set(CaseSignal.Kind.values) - {CaseSignal.Kind.BLOCKED_TERM})),
    ],
)
def test_api_enums_are_the_models_choices(model, field, choices):
    assert literal_values(model, field) == set(choices)


@pytest.mark.parametrize(
    ("model", "field", "column"),
    [
        (ReportIn, "external_id", Report._meta.get_field("external_id")),
        (ReportIn, "flagger_name", Report._meta.get_field("flagger_name")),
        (
            ReportIn,
            "reporter_id",
            Report._meta.get_field("reporter").related_model._meta.get_field("platform_id"),
        ),
        (SubjectIn, "platform_id", Subject._meta.get_field("platform_id")),
        (SubjectIn, "chat_id", Subject._meta.get_field("chat_id")),
        (SubjectIn, "author_id", PlatformAccount._meta.get_field("platform_id")),
        (SubjectIn, "author_username", PlatformAccount._meta.get_field("username")),
        (SubjectIn, "author_display_name", PlatformAccount._meta.get_field("display_name")),
        (SubjectIn, "media_url", Report._meta.get_field("media_url")),
        (SubjectIn, "deep_link", Report._meta.get_field("deep_link")),
        (SignalIn, "name", CaseSignal._meta.get_field("name")),
        (SignalIn, "label", CaseSignal._meta.get_field("label")),
        (SignalIn, "matched_hash", CaseSignal._meta.get_field("matched_hash")),
    ],
)
def test_api_string_limits_fit_the_columns(model, field, column):
    schema = model.model_json_schema()["properties"][field]
    limit = schema.get("maxLength") or next(
        s["maxLength"] for s in schema["anyOf"] if "maxLength" in s
    )
    assert limit == column.max_length
