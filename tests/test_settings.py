from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.settings import Settings, SettingsError


def test_environment_variables_fill_settings() -> None:
    settings = Settings.from_env(
        {
            "MOCKSERVER_SPEED": "5",
            "MOCKSERVER_SEED": "7",
            "MOCKSERVER_API_KEYS": "a, b",
            "MOCKSERVER_VALIDATE_RESPONSES": "false",
            "MOCKSERVER_WORKFLOWS_FILE": "wf.yaml",
        }
    )
    assert settings.speed == 5.0
    assert settings.seed == 7
    assert settings.api_keys == ("a", "b")
    assert settings.validate_responses is False
    assert settings.workflows_file == Path("wf.yaml")


def test_cli_style_changes_skip_values_not_given() -> None:
    settings = Settings(speed=3).with_changes(speed=None, port=5000)
    assert (settings.speed, settings.port) == (3, 5000)


@pytest.mark.parametrize(
    "env",
    [
        {"MOCKSERVER_SPEED": "fast"},
        {"MOCKSERVER_SPEED": "-1"},
        {"MOCKSERVER_VALIDATE_RESPONSES": "maybe"},
    ],
)
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str]) -> None:
    ((name, raw),) = env.items()
    with pytest.raises(SettingsError, match=f"^{name}={raw!r}"):
        Settings.from_env(env)


def test_the_engine_is_compiled_unless_connexion_is_asked() -> None:
    assert Settings().engine == "compiled"
    assert Settings.from_env({"MOCKSERVER_ENGINE": "connexion"}).engine == "connexion"
    with pytest.raises(SettingsError, match="^MOCKSERVER_ENGINE='flask'"):
        Settings.from_env({"MOCKSERVER_ENGINE": "flask"})
