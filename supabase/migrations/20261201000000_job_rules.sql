-- OMTX-Hub job rules enforced by PostgreSQL, not only by Python: the lifecycle for every role
-- (omtx_core/domain/job.py ALLOWED_TRANSITIONS), `updated_at` set by the server, and what a signed-in user may write.
-- Row-level security decides which rows a user reaches; these triggers decide what a user may put in them:
-- a new job is a plain pending job with the server's timestamps; a change is a rename or a cancel. Everything a
-- worker writes (status, lease, attempts, results, artifacts) is the service role's. Cache hits and imports are
-- completed at birth, so users make them through the SECURITY DEFINER functions below, which check them.
-- The claim counts and orders only by what users cannot forge.

-- The values of a job no worker has touched: a user's new job must have exactly these.
create or replace function private.fresh_job() returns jsonb
language sql
immutable
set search_path = ''
as $$
    select jsonb_build_object(
        'status', 'pending', 'attempts', 0, 'started_at', null, 'finished_at', null, 'engine', null,
        'engine_call_ids', '[]'::jsonb, 'progress_done', 0, 'error', null, 'result', null, 'artifacts', '[]'::jsonb,
        'cache_hit', false, 'results_from', null, 'lease_owner', null, 'lease_expires_at', null)
$$;

-- The columns of `row` that differ from `expected` (only the keys of `expected` are compared), or null.
create or replace function private.differing(p_row jsonb, p_expected jsonb) returns text
language sql
immutable
set search_path = ''
as $$
    select string_agg(e.key, ', ' order by e.key) from jsonb_each(p_expected) e
    where p_row -> e.key is distinct from e.value
$$;

-- A change by a signed-in user: a rename, or a cancel of a pending or running job. Timestamps are the server's
-- (a user's are ignored, so the fallback store's outbox can replay a whole job); a cancel also clears the lease,
-- which tells the worker at its next heartbeat. Anything else a user changes is refused.
create or replace function private.user_job_change(p_old public.jobs, p_new public.jobs) returns public.jobs
language plpgsql
stable
set search_path = ''
as $$
declare
    v_cancel boolean := p_new.status = 'cancelled' and p_old.status in ('pending', 'running');
    v_free text[] := array['job_name', 'updated_at'];
    v_changed text;
begin
    if p_new.status is distinct from p_old.status and not v_cancel then
        raise exception 'Only a worker can make a % job %.', p_old.status, p_new.status
            using errcode = 'insufficient_privilege', hint = 'You can rename, cancel or delete your jobs.';
    end if;
    p_new.created_at := p_old.created_at;
    p_new.started_at := p_old.started_at;
    p_new.finished_at := p_old.finished_at;
    if v_cancel then
        p_new.finished_at := now();
        p_new.lease_owner := null;
        p_new.lease_expires_at := null;
        v_free := v_free || array['status', 'finished_at', 'lease_owner', 'lease_expires_at'];
    end if;
    select string_agg(n.key, ', ' order by n.key) into v_changed
    from jsonb_each(to_jsonb(p_new) - v_free) n
    where n.value is distinct from to_jsonb(p_old) -> n.key;
    if v_changed is not null then
        raise exception 'Only a worker can change a job''s %.', v_changed
            using errcode = 'insufficient_privilege', hint = 'You can rename, cancel or delete your jobs.';
    end if;
    return p_new;
end;
$$;

revoke all on function private.fresh_job() from public, anon;
revoke all on function private.differing(jsonb, jsonb) from public, anon;
revoke all on function private.user_job_change(public.jobs, public.jobs) from public, anon;
grant execute on function private.fresh_job() to authenticated;
grant execute on function private.differing(jsonb, jsonb) to authenticated;
grant execute on function private.user_job_change(public.jobs, public.jobs) to authenticated;

-- The trigger runs as the caller (not SECURITY DEFINER), so `current_user` is the request's role: `authenticated`
-- for a user's key. The functions below insert as their owner, so their own checks apply instead. The lifecycle
-- check is inline because the service role has no usage on schema private.
create or replace function private.enforce_job_rules() returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_set text;
begin
    if tg_op = 'INSERT' then
        if current_user = 'authenticated' then
            v_set := private.differing(to_jsonb(new), private.fresh_job());
            if v_set is not null then
                raise exception 'A new job must be pending and untouched; only workers set its %.', v_set
                    using errcode = 'insufficient_privilege',
                          hint = 'Submit the job again from the app or the command line.';
            end if;
            new.created_at := now();
            new.updated_at := now();
        end if;
        return new;
    end if;
    if new.status is distinct from old.status and (old.status, new.status) not in (
        ('pending', 'running'), ('pending', 'failed'), ('pending', 'cancelled'), ('running', 'pending'),
        ('running', 'completed'), ('running', 'failed'), ('running', 'cancelled')) then
        raise exception 'A % job cannot become %.', old.status, new.status
            using errcode = 'check_violation', hint = 'Re-run the job to start it again.';
    end if;
    if current_user = 'authenticated' then
        new := private.user_job_change(old, new);
    end if;
    new.updated_at := now();
    return new;
end;
$$;
revoke all on function private.enforce_job_rules() from public, anon, authenticated;

-- Named after jobs_keep_ids so that one runs first (triggers fire in name order) and keeps its own errors.
drop trigger if exists jobs_rules on public.jobs;
create trigger jobs_rules before insert or update on public.jobs
    for each row execute function private.enforce_job_rules();

-- Who a SECURITY DEFINER function below works for: the signed-in user's id, or null for the service role and
-- direct connections. Inside such a function current_user is its owner, but the `role` setting is still the role
-- PostgREST switched to for the request.
create or replace function private.calling_user() returns text
language plpgsql
stable
set search_path = ''
as $$
begin
    if current_setting('role', true) is distinct from 'authenticated' then
        return null;
    end if;
    if auth.uid() is null then
        raise exception 'A signed-in user has no id.' using errcode = 'insufficient_privilege';
    end if;
    return auth.uid()::text;
end;
$$;
revoke all on function private.calling_user() from public, anon, authenticated;

-- The job a create function is asked to make, owned by the caller when the caller is a user, with the server's
-- timestamps for a user (what the service role sends is kept, as the outbox replays it).
create or replace function private.job_to_create(p_job jsonb) returns public.jobs
language plpgsql
stable
set search_path = ''
as $$
declare
    v_job public.jobs := jsonb_populate_record(null::public.jobs, p_job);
    v_user text := private.calling_user();
begin
    if v_user is not null then
        if v_job.owner is distinct from v_user then
            raise exception 'You can only create jobs of your own.' using errcode = 'insufficient_privilege';
        end if;
        v_job.created_at := now();
        v_job.updated_at := now();
        v_job.started_at := now();
        v_job.finished_at := now();
    end if;
    return v_job;
end;
$$;
revoke all on function private.job_to_create(jsonb) from public, anon, authenticated;

-- Insert a job made by a create function; an existing job with its id comes back unchanged when it is the same
-- owner's (creating is idempotent), and nothing comes back when it is another owner's.
create or replace function private.insert_created_job(p_job public.jobs) returns setof public.jobs
language plpgsql
volatile
set search_path = ''
as $$
begin
    if exists (select 1 from public.jobs where id = p_job.id) then
        return query select * from public.jobs where id = p_job.id and owner = p_job.owner;
        return;
    end if;
    return query insert into public.jobs select (p_job).* on conflict (id) do nothing returning *;
end;
$$;
revoke all on function private.insert_created_job(public.jobs) from public, anon, authenticated;

-- A cache hit (JobService.submit when the caller already has this input's results): completed at once, reading
-- its results from a completed, non-cache-hit job of the same owner with the same task and input hash. Its result
-- summary, artifacts, engine and progress are copied here from that job, whatever the client sent.
create or replace function public.create_cache_hit(p_job jsonb) returns setof public.jobs
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_job public.jobs := private.job_to_create(p_job);
    v_source public.jobs;
begin
    if exists (select 1 from public.jobs where id = v_job.id) then
        return query select * from private.insert_created_job(v_job);
        return;
    end if;
    select * into v_source from public.jobs
    where id = v_job.results_from and owner = v_job.owner and status = 'completed' and not cache_hit
      and input_hash = v_job.input_hash and task_type = v_job.task_type
    for share;
    if not found then
        raise exception 'A cache hit must read its results from a completed job of yours with the same input.'
            using errcode = 'insufficient_privilege', hint = 'Submit the job again without using the cache.';
    end if;
    v_job.status := 'completed';
    v_job.cache_hit := true;
    v_job.result := v_source.result;
    v_job.artifacts := v_source.artifacts;
    v_job.engine := v_source.engine;
    v_job.progress_done := v_source.progress_done;
    v_job.progress_total := v_source.progress_total;
    v_job.attempts := 0;
    v_job.engine_call_ids := '[]'::jsonb;
    v_job.error := null;
    v_job.lease_owner := null;
    v_job.lease_expires_at := null;
    return query select * from private.insert_created_job(v_job);
end;
$$;

-- An import (omtx_core/jobs/importer.py): Boltz output made elsewhere, a completed job with engine `import`, an
-- `import:` input hash (never served from the cache), no lease, no attempts, and files only in its own folders.
-- Its result summary is the user's own, read from their files.
create or replace function public.create_imported_job(p_job jsonb) returns setof public.jobs
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_job public.jobs := private.job_to_create(p_job);
    v_wrong text := private.differing(to_jsonb(v_job), jsonb_build_object(
        'status', 'completed', 'engine', 'import', 'attempts', 0, 'engine_call_ids', '[]'::jsonb, 'error', null,
        'cache_hit', false, 'results_from', null, 'lease_owner', null, 'lease_expires_at', null));
begin
    if v_job.input_hash not like 'import:%' then
        v_wrong := concat_ws(', ', v_wrong, 'input_hash');
    end if;
    if exists (select 1 from jsonb_array_elements_text(coalesce(v_job.artifacts, '[]'::jsonb)) a (key)
               where split_part(a.key, '/', 1) not in ('inputs', 'results', 'logs')
                  or split_part(a.key, '/', 2) is distinct from v_job.id
                  or a.key ~ '(^|/)\.\.?(/|$)') then
        v_wrong := concat_ws(', ', v_wrong, 'artifacts');
    end if;
    if v_wrong is not null then
        raise exception 'An imported job must be a completed import with files of its own; wrong: %.', v_wrong
            using errcode = 'insufficient_privilege', hint = 'Import the Boltz output again.';
    end if;
    return query select * from private.insert_created_job(v_job);
end;
$$;

revoke all on function public.create_cache_hit(jsonb) from public, anon;
revoke all on function public.create_imported_job(jsonb) from public, anon;
grant execute on function public.create_cache_hit(jsonb) to authenticated, service_role;
grant execute on function public.create_imported_job(jsonb) to authenticated, service_role;

-- The claim, counting and handing out only leases a worker set: a live lease has a lease owner, at least one
-- attempt and a finite expiry; an expired one, a lease owner. Running rows of any other shape (written before these
-- rules by a user's key) neither count against max_running nor hold the queue. Users cannot backdate created_at.
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
    where status = 'running' and lease_owner is not null and attempts > 0
      and lease_expires_at > p_now and isfinite(lease_expires_at);
    if v_live >= p_max_running then
        return;
    end if;

    select j.id into v_id
    from public.jobs j
    where j.status = 'pending'
       or (j.status = 'running' and j.lease_owner is not null
           and coalesce(j.lease_expires_at, '-infinity'::timestamptz) <= p_now)
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
