"""Wire profiles: the two vault dialects' wire facts, and a profile built from the same parts outside
core (as the bucket and ReductStore packages will), composed with a schema by the vault."""

from __future__ import annotations

import re
from typing import Dict

import pytest

from cassdk_like.core.auth.signers import sigv4_signer
from cassdk_like.core.config import Credentials
from cassdk_like.core.errorparse import parse_json_error, parse_xml_error
from cassdk_like.core.http.request import HttpRequest
from cassdk_like.core.wire import CAS_WIRE, GLACIER_WIRE, WireProfile
from cassdk_like.vault.dialect import CAS, GLACIER, VaultDialect
from cassdk_like.vault.errors import VAULT_ERRORS
from cassdk_like.vault.schema import CAS_SCHEMA, GLACIER_SCHEMA


def test_cas_and_glacier_wire_facts() -> None:
    assert (CAS_WIRE.header_prefix, CAS_WIRE.request_id_header, CAS_WIRE.fixed_headers) == (
        "x-cas-",
        "x-cas-requestId",
        (),
    )
    assert GLACIER_WIRE.h("archive-id") == "x-amz-archive-id"
    assert GLACIER_WIRE.fixed_headers == (("x-amz-glacier-version", "2012-06-01"),)
    assert CAS_WIRE.error_parser is parse_json_error
    assert GLACIER_WIRE.error_parser is parse_json_error


@pytest.mark.parametrize(
    ("profile", "region", "host", "expected"),
    [
        (CAS_WIRE, None, "cas.ap-chengdu.myqcloud.com", "ap-chengdu"),
        (CAS_WIRE, None, "127.0.0.1", ""),
        (GLACIER_WIRE, None, "glacier.eu-west-1.amazonaws.com", "eu-west-1"),
        (GLACIER_WIRE, None, "localhost", "us-east-1"),
        (GLACIER_WIRE, "ap-south-1", "glacier.eu-west-1.amazonaws.com", "ap-south-1"),
    ],
)
def test_region_from_the_host(profile: WireProfile, region: str, host: str, expected: str) -> None:
    assert profile.resolve_region(region, host) == expected


def test_a_profile_needs_a_request_id_header() -> None:
    with pytest.raises(ValueError, match="request-id"):
        WireProfile(name="x", header_prefix="x-", request_id_headers=(), make_signer=sigv4_signer("s3"))


def test_a_service_builds_its_profile_from_cores_parts() -> None:
    s3 = WireProfile(
        name="s3",
        header_prefix="x-amz-",
        request_id_headers=("x-amz-request-id", "x-amz-id-2"),
        default_region="us-east-1",
        host_region=re.compile(r"(?:^|\.)s3[.-]([a-z0-9-]+)\.amazonaws\.com$"),
        make_signer=sigv4_signer("s3"),
        error_parser=parse_xml_error,
    )
    assert s3.request_id_header == "x-amz-request-id"
    assert s3.resolve_region(None, "bucket.s3.eu-central-1.amazonaws.com") == "eu-central-1"
    sign = s3.signer(Credentials("AKID", "SECRET"), "eu-central-1", lambda: 1440938160)
    headers: Dict[str, str] = {"Host": "bucket.s3.amazonaws.com"}
    sign(HttpRequest("GET", "/key"), headers)
    assert "/eu-central-1/s3/aws4_request" in headers["Authorization"]
    assert {k.lower(): v for k, v in headers.items()}["x-amz-date"] == "20150830T123600Z"


def test_the_vault_dialect_composes_profile_schema_and_table() -> None:
    assert (CAS.wire, CAS.schema) == (CAS_WIRE, CAS_SCHEMA)
    assert (GLACIER.wire, GLACIER.schema) == (GLACIER_WIRE, GLACIER_SCHEMA)
    assert CAS.errors.table is VAULT_ERRORS
    assert GLACIER.errors.parser is GLACIER_WIRE.error_parser
    assert (CAS.name, CAS.qcs_field, CAS.policy_field, CAS.callback_field) == (
        "cas",
        "VaultQCS",
        "policy",
        "CallBackUrl",
    )
    assert (GLACIER.qcs_field, GLACIER.policy_field, GLACIER.callback_field) == (
        "VaultARN",
        "Policy",
        "SNSTopic",
    )
    assert CAS.account("1250000000", None) == "1250000000"
    assert GLACIER.account("1250000000", None) == "-"
    assert "push-to-cos" in CAS.job_types
    assert "push-to-cos" not in GLACIER.job_types
    assert VaultDialect(GLACIER_WIRE, CAS_SCHEMA).h("job-id") == "x-amz-job-id"
