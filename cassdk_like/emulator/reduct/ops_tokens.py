"""The ``/tokens`` operations; all need a full-access token (docs/reduct-protocol.md §4.4)."""

from __future__ import annotations

from typing import Callable, Dict

from cassdk_like.emulator.reduct.auth import parse_token_request
from cassdk_like.emulator.reduct.context import Context, empty, json_response
from cassdk_like.emulator.wire import Response

__all__ = ["OPERATIONS"]


def list_tokens(ctx: Context) -> Response:
    ctx.full_access()
    return json_response({"tokens": [token.doc(ctx.now) for token in ctx.state.tokens.list()]})


def get_token(ctx: Context) -> Response:
    ctx.full_access()
    return json_response(ctx.state.tokens.require(ctx.params["token"]).doc(ctx.now))


def create_token(ctx: Context) -> Response:
    request = parse_token_request(ctx.body())  # the body is parsed before the policy is checked
    ctx.full_access()
    return json_response(ctx.state.tokens.create(ctx.params["token"], request))


def rotate_token(ctx: Context) -> Response:
    ctx.full_access()
    return json_response(ctx.state.tokens.rotate(ctx.params["token"]))


def remove_token(ctx: Context) -> Response:
    ctx.full_access()
    ctx.state.tokens.remove(ctx.params["token"])
    return empty()


OPERATIONS: Dict[str, Callable[[Context], Response]] = {
    "ListTokens": list_tokens,
    "GetToken": get_token,
    "CreateToken": create_token,
    "RotateToken": rotate_token,
    "RemoveToken": remove_token,
}
