"""``cia listen``: a webhook receiver for trying the system out by hand."""
from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import click
from standardwebhooks import Webhook, WebhookVerificationError


@click.command("listen")
@click.option("--port", default=9000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--secret", envvar="CIA_WEBHOOK_SECRET", default=None,
              help="The subscription's whsec_ secret; when given, every signature is verified.")
def listen(port: int, secret: str | None) -> None:
    """Print every webhook POSTed to http://127.0.0.1:PORT/ (Ctrl-C stops)."""
    verifier = Webhook(secret) if secret else None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            verdict = "not checked (no --secret)"
            if verifier:
                try:
                    verifier.verify(body, {k.lower(): v for k, v in self.headers.items()})
                    verdict = "valid"
                except (WebhookVerificationError, ValueError) as exc:
                    verdict = f"INVALID ({exc})"
            click.echo(f"--- webhook-id {self.headers.get('webhook-id')} signature {verdict}")
            try:
                click.echo(json.dumps(json.loads(body), indent=2))
            except ValueError:
                click.echo(body.decode(errors="replace"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    click.echo(f"listening on http://127.0.0.1:{port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


commands = [listen]
