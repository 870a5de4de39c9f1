-- REST API keys (omtx_core/api/keys.py): one row per key, holding the SHA-256 of its token, never the token.
-- Only the service role (the API process and `python -m omtx_core keys`) reads or writes it: row-level security is
-- on with no policy, and anon and signed-in users hold no privilege on it, so a user's token sees no key at all.

create table if not exists public.api_keys (
    id           text primary key check (id ~ '^[0-9a-f]{16}$'),
    token_hash   text not null check (token_hash ~ '^[0-9a-f]{64}$'),
    owner        text not null check (owner <> ''),
    email        text not null default '',
    label        text not null default '',
    admin        boolean not null default false,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

comment on table public.api_keys is 'OMTX-Hub REST API keys, hashed; service role only.';

create index if not exists api_keys_owner_idx on public.api_keys (owner);

alter table public.api_keys enable row level security;
revoke all on table public.api_keys from public, anon, authenticated;
grant select, insert, update, delete on table public.api_keys to service_role;
