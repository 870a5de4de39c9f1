"""Jobs: the model and its status transitions, the job service, and the worker."""
