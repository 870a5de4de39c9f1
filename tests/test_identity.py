"""Who is acting: the local user, or whoever a Supabase key speaks for; keys are read, never shown."""

from __future__ import annotations

import uuid

import jwt
import pytest

from omtx_core.domain.identity import LOCAL_OWNER, LOCAL_USER, Identity, identity_for, identity_from_supabase_key
from omtx_core.errors import ConfigurationError

SECRET = "not-a-real-project-secret-but-long-enough"


def key(**claims) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def test_the_embedded_store_acts_as_the_local_user_whatever_the_key():
    assert identity_for("sqlite") == LOCAL_USER
    assert identity_for("sqlite", key(role="authenticated", sub="someone")) == LOCAL_USER


def test_a_users_jwt_acts_as_that_user_and_sees_only_their_jobs():
    user = str(uuid.uuid4())
    identity = identity_for("supabase", key(role="authenticated", sub=user, aud="authenticated"))
    assert identity == Identity(user) and identity.owner_filter == user
    assert identity.may_see(user) and not identity.may_see(LOCAL_OWNER)


def test_the_service_key_acts_for_everyone():
    for service_key in (key(role="service_role"), "sb_secret_abcdef0123456789"):
        identity = identity_for("fallback", service_key)
        assert identity.owner == LOCAL_OWNER and identity.sees_all and identity.owner_filter is None


def test_a_signed_in_user_wins_over_the_key():
    assert identity_for("supabase", key(role="service_role"), signed_in_user="ada") == Identity("ada")


@pytest.mark.parametrize(
    "bad",
    [key(role="anon"), key(role="authenticated"), key(role="authenticated", sub=""), "sb_publishable_xyz",
     "not-a-jwt", "a.b.c", key(role="postgres")],
)  # fmt: skip
def test_keys_that_can_see_no_job_are_refused_without_showing_them(bad):
    with pytest.raises(ConfigurationError, match="OMTX_SUPABASE_KEY") as refused:
        identity_from_supabase_key(bad)
    assert bad not in str(refused.value) and refused.value.hint


def test_an_identity_needs_an_owner():
    with pytest.raises(ValueError):
        Identity("")
