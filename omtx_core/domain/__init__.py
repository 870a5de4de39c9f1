"""What every layer shares, below the service, the worker and the stores: the job record, who is acting, where
a job's files live, and the typed result document."""
