"""The REST API (FastAPI) over the job service: `create_app` in app.py; imported only by the `api` command."""
