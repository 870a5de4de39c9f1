-- OMTX-Hub artifacts by job owner: a signed-in user reads and writes the Storage objects of their own jobs only.
-- Object names are `<job id>/<path>` in the buckets inputs, results and logs (omtx_core/domain/layout.py), so
-- each policy asks about the job named by the first folder of the object's name. The shared MSA cache
-- (`inputs/msa-cache/`) is nobody's job: only service_role (workers), which bypasses RLS, reads or writes it,
-- so no user sees MSAs of other users' proteins or can poison the cache.
-- The table and triggers apply everywhere; the policies only where Supabase Storage exists (not on the plain
-- PostgreSQL some deployments and tests use).

-- The MSA cache folder is never a job's folder (a job with that id would own the cache).
do $$
begin
    if not exists (select 1 from pg_constraint where conname = 'jobs_id_not_msa_cache'
                   and conrelid = 'public.jobs'::regclass) then
        alter table public.jobs add constraint jobs_id_not_msa_cache check (id <> 'msa-cache');
    end if;
end;
$$;

-- Deleted jobs, by id and owner. The job service deletes a job's row before its files, and keeps a deleted
-- job's results while a cache hit still reads them, so the owner must be known after the row is gone. An id
-- once used never passes to another owner, who would otherwise inherit the files left in its folders.
create table if not exists private.deleted_jobs (
    id         text primary key,
    owner      text not null,
    deleted_at timestamptz not null default now()
);
revoke all on table private.deleted_jobs from public, anon, authenticated;

create or replace function private.remember_deleted_job() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    insert into private.deleted_jobs (id, owner) values (old.id, old.owner)
    on conflict (id) do update set owner = excluded.owner, deleted_at = now();
    return old;
end;
$$;
revoke all on function private.remember_deleted_job() from public, anon, authenticated;

-- Job ids never change, and an id of a deleted job is never reused by another owner.
create or replace function private.keep_job_ids() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    if tg_op = 'UPDATE' and new.id is distinct from old.id then
        raise exception 'A job''s id cannot change.' using errcode = 'check_violation';
    end if;
    if exists (select 1 from private.deleted_jobs where id = new.id and owner <> new.owner) then
        raise exception 'The job id % was used by a deleted job.', new.id using errcode = 'unique_violation';
    end if;
    return new;
end;
$$;
revoke all on function private.keep_job_ids() from public, anon, authenticated;

drop trigger if exists jobs_remember_deleted on public.jobs;
create trigger jobs_remember_deleted after delete on public.jobs
    for each row execute function private.remember_deleted_job();
drop trigger if exists jobs_keep_ids on public.jobs;
create trigger jobs_keep_ids before insert or update of id, owner on public.jobs
    for each row execute function private.keep_job_ids();

-- What the signed-in user may do with the files in a job's folders. SECURITY DEFINER (like private.owns_job)
-- so the storage policies can read jobs without their own policies; each is a few index lookups (jobs' primary
-- key, jobs_results_from_idx, deleted_jobs' primary key).

-- Read: their job, also after they deleted it, or the source of one of their cache hits (results_from), which
-- the jobs policies only allow to be a job of theirs and which may have been deleted since.
create or replace function private.may_read_job_files(p_job_id text) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select p_job_id <> 'msa-cache' and (
        exists (select 1 from public.jobs where id = p_job_id and owner = (select auth.uid())::text)
        or exists (select 1 from public.jobs where results_from = p_job_id and owner = (select auth.uid())::text)
        or exists (select 1 from private.deleted_jobs where id = p_job_id and owner = (select auth.uid())::text)
    )
$$;

-- Write (create, overwrite): only a job of theirs that still exists.
create or replace function private.may_write_job_files(p_job_id text) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select p_job_id <> 'msa-cache'
       and exists (select 1 from public.jobs where id = p_job_id and owner = (select auth.uid())::text)
$$;

-- Delete: a job of theirs, also after they deleted it (the service removes the row first, then the files).
create or replace function private.may_delete_job_files(p_job_id text) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select p_job_id <> 'msa-cache' and (
        exists (select 1 from public.jobs where id = p_job_id and owner = (select auth.uid())::text)
        or exists (select 1 from private.deleted_jobs where id = p_job_id and owner = (select auth.uid())::text)
    )
$$;

revoke all on function private.may_read_job_files(text) from public, anon;
revoke all on function private.may_write_job_files(text) from public, anon;
revoke all on function private.may_delete_job_files(text) from public, anon;
grant execute on function private.may_read_job_files(text) to authenticated;
grant execute on function private.may_write_job_files(text) to authenticated;
grant execute on function private.may_delete_job_files(text) to authenticated;

-- The policies: for `authenticated` only (anon gets nothing), in OMTX-Hub's buckets only (other buckets of the
-- project keep their own policies). Uploading with upsert needs insert, select and update, as on Supabase.
do $$
begin
    if to_regclass('storage.objects') is null then
        return;
    end if;
    drop policy if exists omtx_job_files_select on storage.objects;
    create policy omtx_job_files_select on storage.objects for select to authenticated
        using (bucket_id in ('inputs', 'results', 'logs')
               and private.may_read_job_files((storage.foldername(name))[1]));
    drop policy if exists omtx_job_files_insert on storage.objects;
    create policy omtx_job_files_insert on storage.objects for insert to authenticated
        with check (bucket_id in ('inputs', 'results', 'logs')
                    and private.may_write_job_files((storage.foldername(name))[1]));
    drop policy if exists omtx_job_files_update on storage.objects;
    create policy omtx_job_files_update on storage.objects for update to authenticated
        using (bucket_id in ('inputs', 'results', 'logs')
               and private.may_write_job_files((storage.foldername(name))[1]))
        with check (bucket_id in ('inputs', 'results', 'logs')
                    and private.may_write_job_files((storage.foldername(name))[1]));
    drop policy if exists omtx_job_files_delete on storage.objects;
    create policy omtx_job_files_delete on storage.objects for delete to authenticated
        using (bucket_id in ('inputs', 'results', 'logs')
               and private.may_delete_job_files((storage.foldername(name))[1]));
end;
$$;
