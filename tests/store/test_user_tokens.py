"""Tokens minted for a signed-in user: Supabase's claims, renewed before they run out, never shown or logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from omtx_core.config import Settings
from omtx_core.domain.identity import Identity, owner_id
from omtx_core.errors import ConfigurationError
from omtx_core.store.user_tokens import UserTokens, mint_user_token

SECRET = "test-jwt-secret-with-at-least-32-characters"
ALICE = Identity(owner_id("https://idp.lab.example", "alice"), email="alice@lab.example")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def settings(**overrides) -> Settings:
    return Settings(**{"store": "supabase", "supabase_jwt_secret": SECRET, **overrides})


def decode(token: str) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience="authenticated",
                      options={"verify_exp": False, "verify_iat": False})  # fmt: skip


def test_claims_are_those_supabase_gives_a_signed_in_user():
    claims = decode(mint_user_token(settings(user_token_ttl_s=900), ALICE, T0))
    assert claims["sub"] == ALICE.owner and claims["email"] == ALICE.email
    assert claims["role"] == claims["aud"] == "authenticated"
    assert (claims["iat"], claims["exp"]) == (int(T0.timestamp()), int(T0.timestamp()) + 900)
    assert jwt.get_unverified_header(mint_user_token(settings(), ALICE, T0))["alg"] == "HS256"


@pytest.mark.parametrize("secret", [None, ""])
def test_a_missing_secret_names_the_setting_and_where_to_find_it(secret):
    with pytest.raises(ConfigurationError) as missing:
        mint_user_token(settings(supabase_jwt_secret=secret), ALICE, T0)
    assert "JWT secret" in missing.value.message
    assert "OMTX_SUPABASE_JWT_SECRET" in missing.value.hint and "Project Settings → API" in missing.value.hint


def test_a_token_is_reused_until_five_minutes_remain_then_renewed():
    now = [T0]
    tokens = UserTokens(settings(user_token_ttl_s=3600), ALICE, clock=lambda: now[0])
    first = tokens()
    now[0] = T0 + timedelta(seconds=3600 - 301)
    assert tokens() == first and tokens.minted == 1
    now[0] = T0 + timedelta(seconds=3600 - 299)
    second = tokens()
    assert second != first and tokens.minted == 2
    assert decode(second)["exp"] == int(now[0].timestamp()) + 3600
    now[0] = T0 + timedelta(days=2)  # a session left open over a weekend
    assert decode(tokens())["iat"] == int(now[0].timestamp()) and tokens.minted == 3


def test_a_short_lifetime_still_gives_each_token_half_its_life():
    now = [T0]
    tokens = UserTokens(settings(user_token_ttl_s=60), ALICE, clock=lambda: now[0])
    first = tokens()
    now[0] = T0 + timedelta(seconds=29)
    assert tokens() == first
    now[0] = T0 + timedelta(seconds=30)
    assert tokens() != first and tokens.minted == 2


def test_neither_the_token_nor_the_secret_shows_in_its_repr():
    tokens = UserTokens(settings(), ALICE, clock=lambda: T0)
    token = tokens()
    assert token not in repr(tokens) and SECRET not in repr(tokens) and ALICE.owner in repr(tokens)
