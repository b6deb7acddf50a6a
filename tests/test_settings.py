"""Every setting is read from the environment in one place, with one default."""

from __future__ import annotations

import pickle

import pytest

from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.settings import (
    DEFAULT_OUTPUT,
    DEFAULT_PAGE_SIZE,
    OUTPUT_ENV,
    ApiSettings,
    Settings,
    parse_agents,
)


def test_the_output_root_follows_the_environment() -> None:
    """The output root is $LLAMACLOUD_ETL_OUTPUT when set, ./llamacloud_data otherwise."""
    assert Settings.from_env({}).output == DEFAULT_OUTPUT == "./llamacloud_data"
    assert Settings.from_env({OUTPUT_ENV: "s3://bucket/lake"}).output == "s3://bucket/lake"


def test_a_blank_output_root_counts_as_unset() -> None:
    """An output root of only spaces falls back to the default."""
    assert Settings.from_env({OUTPUT_ENV: "  "}).output == DEFAULT_OUTPUT


def test_every_setting_has_its_default_without_an_environment() -> None:
    """With nothing set, the settings are the documented defaults."""
    assert Settings.from_env({}) == Settings(
        output="./llamacloud_data", start_date="2025-01-01", agents=(), lookback_days=3, processes=0
    )


def test_agents_are_comma_separated_with_blanks_dropped() -> None:
    """LLAMACLOUD_ETL_AGENTS lists names or IDs separated by commas; blanks and spaces are dropped."""
    assert Settings.from_env({"LLAMACLOUD_ETL_AGENTS": " Invoices,, Contracts "}).agents == (
        "Invoices",
        "Contracts",
    )
    assert parse_agents("") == ()


@pytest.mark.parametrize("name", ["LLAMACLOUD_ETL_PROCESSES", "LLAMACLOUD_ETL_LOOKBACK_DAYS"])
@pytest.mark.parametrize("value", ["many", "1.5", "-1"])
def test_a_count_that_is_not_a_whole_number_of_zero_or_more_is_a_configuration_error(
    name: str, value: str
) -> None:
    """Processes and lookback days must be whole numbers, 0 or more; the error names the variable."""
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value})


def test_the_api_key_falls_back_to_the_parse_key_when_the_cloud_key_is_blank() -> None:
    """LLAMA_CLOUD_API_KEY wins; a blank one falls back to LLAMA_PARSE_API_KEY."""
    assert (
        ApiSettings.from_env({"LLAMA_CLOUD_API_KEY": "llx-a", "LLAMA_PARSE_API_KEY": "llx-b"}).api_key
        == "llx-a"
    )
    assert (
        ApiSettings.from_env({"LLAMA_CLOUD_API_KEY": " ", "LLAMA_PARSE_API_KEY": "llx-b"}).api_key == "llx-b"
    )
    assert ApiSettings.from_env({}).api_key == ""


def test_api_settings_read_base_url_project_and_organization() -> None:
    """The base URL, project and organization come from their variables; the page size is the default."""
    settings = ApiSettings.from_env(
        {
            "LLAMA_CLOUD_BASE_URL": "eu",
            "LLAMA_CLOUD_PROJECT_ID": "p-1",
            "LLAMA_CLOUD_ORGANIZATION_ID": "o-1",
        }
    )
    assert (settings.base_url, settings.project_id, settings.organization_id) == ("eu", "p-1", "o-1")
    assert settings.page_size == DEFAULT_PAGE_SIZE == 25


def test_api_settings_keep_the_key_out_of_their_repr_and_pickle_whole() -> None:
    """The key is not in the repr, and the settings cross into a worker process by pickle intact."""
    settings = ApiSettings(api_key="llx-secret-1234", base_url="eu")
    assert "llx-secret" not in repr(settings)
    assert pickle.loads(pickle.dumps(settings)) == settings  # noqa: S301 (our own bytes)
