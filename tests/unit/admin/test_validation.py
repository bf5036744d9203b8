"""Admin API body validation: what a client gets 400 for, before any database work."""

from __future__ import annotations

from typing import Any

import pytest

from tricircle import faults
from tricircle.api.admin import schemas
from tricircle.api.admin.common import Field, check_field


@pytest.mark.parametrize(("value", "field"), [
    (True, Field(str)), (1, Field(str)), (None, Field(str)), ("", Field(str, required=True)),
    ("   ", Field(str, required=True)), ("x" * 256, Field(str)), ("sleeping", Field(
        str, choices=("enabled", "draining", "disabled"))), ([], Field(dict)),
    (True, Field(int))])
def test_values_that_do_not_fit_are_bad_requests(value: Any, field: Field) -> None:
    with pytest.raises(faults.BadRequest):
        check_field("f", value, field)


@pytest.mark.parametrize(("value", "field"), [
    ("az1", Field(str)), ("", Field(str)), (None, Field(str, nullable=True)),
    ({"a": 1}, Field(dict)), ("draining", schemas.POD_UPDATE["state"])])
def test_values_that_fit_pass(value: Any, field: Field) -> None:
    check_field("f", value, field)


def test_region_name_is_required_on_create_and_absent_from_update() -> None:
    assert schemas.POD_CREATE["region_name"].required
    assert "region_name" not in schemas.POD_UPDATE
    assert not any(f.required for f in schemas.ROUTING_UPDATE.values())
