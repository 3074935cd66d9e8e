"""Password hashing at production cost. The rest of the suite hashes with argon2-cffi's CHEAPEST
profile (KHABAR_PASSWORD_HASH_COST=cheap in tests/conftest.py), so this is where the real
parameters are checked."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters, profiles
from pydantic import ValidationError

from app.core.config import Settings, get_settings
from app.core.security import dummy_hash, hash_password, verify_password


@pytest.fixture
def standard_cost(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KHABAR_PASSWORD_HASH_COST", "standard")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("standard_cost")
def test_standard_cost_is_rfc_9106_low_memory() -> None:
    stored = hash_password("correct horse battery staple")
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
    assert extract_parameters(dummy_hash()) == profiles.RFC_9106_LOW_MEMORY
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "Correct horse battery staple")


def test_a_cheap_hash_still_verifies_only_its_password() -> None:
    stored = hash_password("s3cret-enough")
    assert extract_parameters(stored) == profiles.CHEAPEST
    assert verify_password(stored, "s3cret-enough")
    assert not verify_password(stored, "s3cret-enougH")
    assert not verify_password("not-a-hash", "s3cret-enough")


def test_production_refuses_cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KHABAR_ENV", "production")
    monkeypatch.setenv("KHABAR_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("KHABAR_PASSWORD_HASH_COST", "cheap")
    with pytest.raises(ValidationError, match="tests only"):
        Settings()
    monkeypatch.setenv("KHABAR_PASSWORD_HASH_COST", "standard")
    assert Settings().password_hash_cost == "standard"
