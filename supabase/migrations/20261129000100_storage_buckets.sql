-- OMTX-Hub artifact buckets (keys `<bucket>/<job id>/<path>`): private, never public. Who reads and writes
-- which objects is decided by the policies in 20261129000200_storage_policies.sql: a signed-in user reaches
-- the folders of their own jobs only; service_role (workers, admin tools) bypasses RLS and reaches everything,
-- including the shared MSA cache (`inputs/msa-cache/`).
-- Guarded so the migrations also run on a plain PostgreSQL without Supabase Storage.

do $$
begin
    if exists (select 1 from pg_namespace where nspname = 'storage')
       and to_regclass('storage.buckets') is not null then
        insert into storage.buckets (id, name, public)
        values ('inputs', 'inputs', false), ('results', 'results', false), ('logs', 'logs', false)
        on conflict (id) do nothing;
    end if;
end;
$$;
