"""gunicorn's settings for the portal (README, "Production"):

    .venv/bin/gunicorn --config deploy/gunicorn.conf.py wsgi:app

Meant to run behind nginx (deploy/nginx/portal.conf), which reads every
request whole before it passes it on and takes every response at once: a
sync worker then never waits on a slow client, and the few workers below
serve everyone. Without nginx in front, a handful of clients sending a byte a
second hold every worker (tests/test_topology.py shows both).

Settings from the environment, as gunicorn itself names them:
``PORT`` (8000), ``WEB_CONCURRENCY`` (workers: twice the CPUs, plus one) and
``FORWARDED_ALLOW_IPS`` (the nginx addresses; loopback). On a second machine,
listen on its private address: ``GUNICORN_CMD_ARGS="--bind 10.0.0.12:8000"``
(command-line options win over this file).
"""

import os

# Loopback only: nginx is the one public door (gunicorn alone would listen on
# every address when PORT is set).
bind = [f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
# Sync workers: nginx buffers the slow part of every request and response.
worker_class = "sync"
# A request taking longer than this is stuck: its worker is replaced.
timeout = 30
# Stopping (systemd's TimeoutStopSec is 30 s) lets requests in flight finish.
graceful_timeout = 20
# Only nginx may say the request came over HTTPS (X-Forwarded-Proto); the app
# takes the client address from X-Forwarded-For (PORTAL_PROXY_HOPS=1).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# No access log: the portal writes one line per request, without query
# strings (they can hold a name or an email address). Errors to stderr (journald).
accesslog = None
errorlog = "-"
loglevel = "info"
# The workers' heartbeat files in memory, never on a slow or full disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# No control socket: systemd starts, reloads (HUP) and stops the server, and
# two servers on one machine would share one socket in the same home folder.
control_socket_disable = True

# The app, and the content with it, are loaded once in the master before the
# workers start: each worker begins with the index already built (shared
# with the master until written to), instead of making its first visitor
# wait while it reads every file. Deploying new code is a restart; content
# changes are picked up by the workers themselves (PORTAL_CONTENT_RELOAD_INTERVAL).
preload_app = True


def when_ready(server):
    """Build the content index in the master, then drop any database
    connection made meanwhile (a connection must not be shared by forks)."""
    from portal.content import content_store
    from portal.plumbing.db import db
    from wsgi import app

    with app.app_context():
        index = content_store().index()
        db.engine.dispose()
    server.log.info("content loaded before the workers start: %d documents", len(index.documents))
