"""v2 models and IDs: tolerant parsing of the SDK 2.19.0 wire, and IDs checked before any URL is built."""

from __future__ import annotations

import pickle

import pytest
from client_fakes import V2_CONFIG_ID, V2_JOB_ID, config_payload, v2_job_payload

from llamacloud_etl.errors import InvalidIdError
from llamacloud_etl.models_v2 import (
    MAX_V2_ID_LENGTH,
    ConfigurationResponse,
    ExtractV2Job,
    ExtractV2Parameters,
    validate_v2_id,
)


def test_unknown_keys_are_kept_at_every_level():
    """Keys the SDK does not name are kept on the job, its configuration and its metadata, not refused."""
    job = ExtractV2Job.model_validate(
        v2_job_payload(
            new_top_level=1,
            configuration={"data_schema": {"type": "object"}, "extract_version": "latest"},
            metadata={"usage": {"num_pages_billed": 2}, "trace": "t-1"},
        )
    )
    assert job.model_extra == {"new_top_level": 1}
    assert job.configuration is not None and job.configuration.model_extra == {"extract_version": "latest"}
    assert job.metadata is not None and job.metadata.model_extra == {"trace": "t-1"}
    assert job.metadata.usage is not None and job.metadata.usage.num_pages_billed == 2


def test_document_input_value_is_read_as_file_input():
    """A job from an older server, with ``document_input_value`` for ``file_input``, reads it as such."""
    body = v2_job_payload()
    body["document_input_value"] = body.pop("file_input")
    job = ExtractV2Job.model_validate(body)
    assert job.file_input == "dfl-3a9f0c2e-8d14-4b6a-b7e5-12c4d9f0a6b3"
    assert job.model_extra == {}


def test_extract_result_keeps_json_types_and_list_shape():
    """A per_page result stays a list of objects, and JSON integers stay integers."""
    job = ExtractV2Job.model_validate(v2_job_payload(extract_result=[{"n": 1}, {"n": 2.5}]))
    assert job.extract_result == [{"n": 1}, {"n": 2.5}]
    assert isinstance(job.extract_result, list) and type(job.extract_result[0]["n"]) is int


def test_full_job_with_metadata_and_usage():
    """extract_metadata's field metadata, parse job and tier, and the billed credits are read."""
    job = ExtractV2Job.model_validate(
        v2_job_payload(
            extract_metadata={
                "field_metadata": {"document_metadata": {"total": {"confidence": 0.9}}, "row_metadata": None},
                "parse_job_id": "pjb-1",
                "parse_tier": "agentic",
            },
            usage={"credits": 15.0, "extract_credits": 10.0, "parse_credits": 5.0},
        )
    )
    assert job.extract_metadata is not None and job.extract_metadata.field_metadata is not None
    assert job.extract_metadata.field_metadata.document_metadata == {"total": {"confidence": 0.9}}
    assert job.extract_metadata.parse_job_id == "pjb-1"
    assert job.usage is not None and job.usage.credits == 15.0


def test_extract_configuration_parameters_are_typed_and_others_stay_dicts():
    """An extract_v2 configuration's parameters are ExtractV2Parameters; another product's stay a dict."""
    extract = ConfigurationResponse.model_validate(config_payload())
    parse = ConfigurationResponse.model_validate(
        config_payload(product_type="parse_v2", parameters={"product_type": "parse_v2", "tier": "fast"})
    )
    assert isinstance(extract.parameters, ExtractV2Parameters) and extract.parameters.tier == "agentic"
    assert parse.parameters == {"product_type": "parse_v2", "tier": "fast"}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        pytest.param(V2_JOB_ID, "job", id="job-uuid-body"),
        pytest.param(V2_CONFIG_ID, "configuration", id="configuration"),
        pytest.param("ext-AbC_09-z", "job", id="mixed-case-underscore"),
        pytest.param("ext-" + "a" * (MAX_V2_ID_LENGTH - 4), "job", id="longest"),
    ],
)
def test_good_v2_ids_pass_unchanged(value, kind):
    """A prefixed ID of allowed characters and length comes back as given (case kept)."""
    assert validate_v2_id(value, kind) == value


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        pytest.param(V2_CONFIG_ID, "job", id="cfg-as-job"),
        pytest.param(V2_JOB_ID, "configuration", id="ext-as-configuration"),
        pytest.param("7c1e2a90-4b3d-4f6e-9a12-5d8c0b3e71f4", "job", id="v1-uuid"),
        pytest.param("EXT-abc", "job", id="upper-case-prefix"),
        pytest.param("ext-", "job", id="prefix-only"),
        pytest.param("ext-../x", "job", id="dot-dot-slash"),
        pytest.param("ext-a/b", "job", id="slash"),
        pytest.param("ext-a?b=1", "job", id="query"),
        pytest.param("ext-a#b", "job", id="fragment"),
        pytest.param("ext-%2e%2e", "job", id="percent"),
        pytest.param("ext-a b", "job", id="space"),
        pytest.param("ext-a\n", "job", id="newline"),
        pytest.param("ext-é", "job", id="non-ascii"),
        pytest.param("ext-" + "a" * (MAX_V2_ID_LENGTH - 3), "job", id="too-long"),
        pytest.param(None, "job", id="none"),
        pytest.param(42, "job", id="int"),
    ],
)
def test_bad_v2_ids_are_rejected(value, kind):
    """A wrong prefix, a character outside [A-Za-z0-9_-], an overlong or non-string ID: InvalidIdError."""
    with pytest.raises(InvalidIdError) as info:
        validate_v2_id(value, kind)
    assert info.value.kind == kind and info.value.value == value


def test_invalid_v2_id_message_names_the_expected_shape():
    """The message quotes the ID and says which prefix and characters a valid one has."""
    with pytest.raises(InvalidIdError, match=r"malformed job ID 'cfg-1': expected 'ext-' followed by lett"):
        validate_v2_id("cfg-1", "job")


def test_invalid_v2_id_error_pickles_with_its_expected_shape():
    """The error survives a trip to a worker process and back with kind, value and expected shape."""
    with pytest.raises(InvalidIdError) as info:
        validate_v2_id("ext-../x", "job")
    again = pickle.loads(pickle.dumps(info.value))  # noqa: S301 (our own bytes)
    assert (str(again), again.expected) == (str(info.value), info.value.expected)


def test_unknown_id_kind_is_a_programming_error():
    """Asking for a kind with no known prefix raises ValueError, not InvalidIdError."""
    with pytest.raises(ValueError, match="unknown v2 ID kind 'file'") as info:
        validate_v2_id("dfl-1", "file")
    assert not isinstance(info.value, InvalidIdError)
