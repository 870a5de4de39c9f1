-- The per-user cap counts an owner's queued and running jobs on every submission: an index over just those rows
-- keeps that count independent of how many jobs the owner has ever made.
create index if not exists jobs_owner_active_idx on public.jobs (owner) where status in ('pending', 'running');
