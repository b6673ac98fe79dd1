"""Shorthands for the CAS error codes the model raises most (docs/vault-protocol.md §4.2)."""

from __future__ import annotations

from cassdk_like.emulator.errors import ApiError

__all__ = ["access_denied", "bad_request", "invalid_value", "limit_exceeded", "missing_value", "not_found"]


def not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message)


def invalid_value(message: str) -> ApiError:
    return ApiError("InvalidParameterValueException", message)


def missing_value(message: str) -> ApiError:
    return ApiError("MissingParameterValueException", message)


def bad_request(message: str) -> ApiError:
    return ApiError("BadRequest", message)


def access_denied(message: str) -> ApiError:
    return ApiError("AccessDeniedException", message)


def limit_exceeded(message: str) -> ApiError:
    return ApiError("LimitExceededException", message)
