"""gunicorn settings shared by the three services (and the bare-Flask benchmark)."""
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # empty: no access log
# Never log query strings or headers: action-link tokens travel in paths, and
# bearer tokens in headers; the request line without the query is enough.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
limit_request_line = 8190
