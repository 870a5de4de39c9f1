-- OMTX-Hub artifact buckets (keys `<bucket>/<job id>/<path>`): private; only service_role reads and
-- writes them (it bypasses RLS, and storage.objects has no policy for anon or authenticated).
-- Guarded so the migrations also run on a plain PostgreSQL without Supabase Storage (the test server).

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
