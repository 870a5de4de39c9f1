"""Job and artifact persistence: one JobStore protocol; SQLite (default), Supabase, and the fallback pair."""
