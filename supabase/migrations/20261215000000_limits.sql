-- Submission limits (omtx_core/jobs/limits.py): a per-user rate and caps on pending and running jobs, counted and
-- checked in the same transaction as the insert, so app replicas and processes never let more through together.

-- Everyone's pending and running jobs: a number only. SECURITY DEFINER because a user's key sees only their own
-- rows, and the global cap counts all of them.
create or replace function public.count_active_jobs() returns bigint
language sql
stable
security definer
set search_path = ''
as $$
    select count(*) from public.jobs where status in ('pending', 'running');
$$;
revoke all on function public.count_active_jobs() from public, anon;
grant execute on function public.count_active_jobs() to authenticated, service_role;

-- Count, then create the job unless it breaks a limit, under one transaction-wide advisory lock (so two callers
-- cannot both count the same free place). Runs as the caller: the insert meets the same row-level security and job
-- rules as any other; jobs completed at birth go through create_cache_hit / create_imported_job as usual. The rate
-- counts with the server's clock (a user's created_at is set by the server). Returns
-- {"job": the row or null when refused, "recent", "retry_after_s", "active_owner", "active_total"}.
create or replace function public.create_job_within_limits(
    p_job jsonb,
    p_per_window integer,
    p_active_per_owner integer,
    p_active_total integer,
    p_window_s double precision default 60
) returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_owner text := p_job ->> 'owner';
    v_since timestamptz := now() - make_interval(secs => p_window_s);
    v_recent integer;
    v_active_owner integer;
    v_active_total integer;
    v_retry double precision := 0;
    v_leaves timestamptz;
    v_row public.jobs;
    v_active boolean := coalesce(p_job ->> 'status', 'pending') in ('pending', 'running');
begin
    perform pg_advisory_xact_lock(hashtext('omtx-hub:submission-limits'));
    select count(*) into v_recent from public.jobs where owner = v_owner and created_at > v_since;
    select count(*) into v_active_owner from public.jobs where owner = v_owner and status in ('pending', 'running');
    v_active_total := public.count_active_jobs();
    if v_recent >= p_per_window then
        select created_at + make_interval(secs => p_window_s) into v_leaves from public.jobs
        where owner = v_owner and created_at > v_since
        order by created_at offset v_recent - p_per_window limit 1;
        v_retry := greatest(0, extract(epoch from v_leaves - now()));
    end if;
    select * into v_row from public.jobs where id = p_job ->> 'id';
    if not found and (v_recent >= p_per_window or (v_active and (v_active_owner >= p_active_per_owner
                                                                  or v_active_total >= p_active_total))) then
        v_row := null;
    elsif not found then
        if coalesce((p_job ->> 'cache_hit')::boolean, false) then
            select * into v_row from public.create_cache_hit(p_job);
        elsif p_job ->> 'engine' = 'import' then
            select * into v_row from public.create_imported_job(p_job);
        else
            insert into public.jobs select * from jsonb_populate_record(null::public.jobs, p_job)
            on conflict (id) do nothing returning * into v_row;
        end if;
    end if;
    return jsonb_build_object(
        'job', case when v_row.id is null then null else to_jsonb(v_row) end,
        'recent', v_recent, 'retry_after_s', v_retry,
        'active_owner', v_active_owner, 'active_total', v_active_total);
end;
$$;
revoke all on function public.create_job_within_limits(jsonb, integer, integer, integer, double precision)
    from public, anon;
grant execute on function public.create_job_within_limits(jsonb, integer, integer, integer, double precision)
    to authenticated, service_role;
