"""Turning the low level's raw answers into values or typed errors (shared by Client and Bucket)."""

from __future__ import annotations

from typing import Any, Mapping

from cassdk_like.core.http.response import HttpResponse
from cassdk_like.reduct.models import document

__all__ = ["json_of", "ok"]


def ok(response: HttpResponse) -> HttpResponse:
    """The answer if it is 2xx, else its typed ``ReductError`` (the answer is closed)."""
    if not response.ok:
        response.close()
        raise response.to_error()
    return response


def json_of(response: HttpResponse, what: str) -> Mapping[str, Any]:
    """The JSON object of a 2xx answer (``BadResponseError`` naming ``what`` otherwise)."""
    return document(ok(response).json(), what)
