-- OMTX-Hub jobs: one row per Job (omtx_core/jobs/models.py), row-level security per owner,
-- and the atomic claim used by workers. Applied unchanged to Supabase and to the test PostgreSQL.

create schema if not exists extensions;
create extension if not exists pg_trgm with schema extensions;

create table if not exists public.jobs (
    id               text primary key check (id ~ '^[A-Za-z0-9._-]{1,128}$'),
    owner            text not null default (auth.uid())::text,
    task_type        text not null,
    job_name         text not null,
    input            jsonb not null check (jsonb_typeof(input) = 'object'),
    options          jsonb not null default '{}'::jsonb check (jsonb_typeof(options) = 'object'),
    input_hash       text not null,
    status           text not null default 'pending'
                     check (status in ('pending', 'running', 'completed', 'failed', 'cancelled')),
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    attempts         integer not null default 0 check (attempts >= 0),
    engine           text,
    engine_call_ids  jsonb not null default '[]'::jsonb check (jsonb_typeof(engine_call_ids) = 'array'),
    progress_done    integer not null default 0,
    progress_total   integer not null default 0,
    error            jsonb,
    result           jsonb,
    artifacts        jsonb not null default '[]'::jsonb check (jsonb_typeof(artifacts) = 'array'),
    parent_id        text,
    cache_hit        boolean not null default false,
    results_from     text,
    lease_owner      text,
    lease_expires_at timestamptz
);

comment on table public.jobs is 'OMTX-Hub prediction jobs; one column per omtx_core.jobs.models.Job field.';

-- The list page: newest first, optionally narrowed by owner, status or task.
create index if not exists jobs_created_idx on public.jobs (created_at desc, id desc);
create index if not exists jobs_owner_created_idx on public.jobs (owner, created_at desc, id desc);
create index if not exists jobs_status_created_idx on public.jobs (status, created_at desc, id desc);
create index if not exists jobs_task_type_created_idx on public.jobs (task_type, created_at desc, id desc);
-- Case-insensitive substring search on the name (ILIKE '%...%' can use a trigram index).
create index if not exists jobs_job_name_trgm_idx on public.jobs using gin (job_name extensions.gin_trgm_ops);
-- The result cache: newest completed, non-cache-hit job of an owner with this input hash.
create index if not exists jobs_cache_idx on public.jobs (input_hash, owner, created_at desc)
    where status = 'completed' and not cache_hit;
-- Jobs reading their results from another job (checked before deleting that job's artifacts).
create index if not exists jobs_results_from_idx on public.jobs (results_from) where results_from is not null;
-- Workers: the oldest job that is waiting, or running on a lease that may have expired.
create index if not exists jobs_claim_idx on public.jobs (created_at, id) where status in ('pending', 'running');

-- Row-level security: a signed-in user sees and changes only their own jobs; anon gets nothing;
-- service_role (workers, the server-side app) bypasses RLS.
alter table public.jobs enable row level security;
revoke all on table public.jobs from anon;
grant select, insert, update, delete on table public.jobs to authenticated, service_role;

-- Whether the signed-in user owns a job. SECURITY DEFINER so the policies below can ask without recursing into
-- jobs' own policies; in a schema the API does not expose.
create schema if not exists private;
grant usage on schema private to authenticated;
create or replace function private.owns_job(p_job_id text) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (select 1 from public.jobs where id = p_job_id and owner = (select auth.uid())::text)
$$;
revoke all on function private.owns_job(text) from public, anon;
grant execute on function private.owns_job(text) to authenticated;

drop policy if exists jobs_select_own on public.jobs;
create policy jobs_select_own on public.jobs for select to authenticated
    using (owner = (select auth.uid())::text);
drop policy if exists jobs_insert_own on public.jobs;
-- A user's job may read its results only from another job of theirs.
create policy jobs_insert_own on public.jobs for insert to authenticated
    with check (
        owner = (select auth.uid())::text
        and (results_from is null or private.owns_job(results_from))
    );
drop policy if exists jobs_update_own on public.jobs;
create policy jobs_update_own on public.jobs for update to authenticated
    using (owner = (select auth.uid())::text)
    with check (
        owner = (select auth.uid())::text
        and (results_from is null or private.owns_job(results_from))
    );
drop policy if exists jobs_delete_own on public.jobs;
create policy jobs_delete_own on public.jobs for delete to authenticated
    using (owner = (select auth.uid())::text);

-- Atomically hand the oldest claimable job to a worker (JobStore.claim_next).
-- The advisory lock makes "count live leases, then claim" one step, so max_running holds even with
-- many workers; SKIP LOCKED passes over rows another transaction is changing (e.g. a cancel).
create or replace function public.claim_next_job(
    p_worker text,
    p_lease_seconds double precision,
    p_max_running integer,
    p_now timestamptz
) returns setof public.jobs
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_live integer;
    v_id text;
begin
    perform pg_advisory_xact_lock(hashtext('public.claim_next_job'));

    select count(*) into v_live
    from public.jobs
    where status = 'running' and lease_expires_at > p_now;
    if v_live >= p_max_running then
        return;
    end if;

    select j.id into v_id
    from public.jobs j
    where j.status = 'pending'
       or (j.status = 'running' and coalesce(j.lease_expires_at, '-infinity'::timestamptz) <= p_now)
    order by j.created_at, j.id
    limit 1
    for update skip locked;
    if v_id is null then
        return;
    end if;

    return query
    update public.jobs
    set status = 'running',
        lease_owner = p_worker,
        lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
        attempts = attempts + 1,
        started_at = coalesce(started_at, p_now),
        updated_at = p_now
    where id = v_id
    returning *;
end;
$$;

comment on function public.claim_next_job(text, double precision, integer, timestamptz) is
    'Claim the oldest pending (or lease-expired running) job for a worker; empty when none or at max_running.';

revoke all on function public.claim_next_job(text, double precision, integer, timestamptz)
    from public, anon, authenticated;
grant execute on function public.claim_next_job(text, double precision, integer, timestamptz) to service_role;
