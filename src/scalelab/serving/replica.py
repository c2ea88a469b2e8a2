"""A model replica: one process that loads one MLflow model once and answers on a Unix socket.

    python -m scalelab.serving.replica --model-dir DIR --socket PATH \\
        --max-batch N --max-rows R --max-body-mb M

with the service's secret in $SCALELAB_REPLICA_SECRET (removed from the environment at once, so
the model's code does not inherit it). The model is loaded before the socket exists, so a replica
that answers `/ping` is ready. Routes, each wanting header `X-ScaleLab-Replica-Secret`:

- `GET /ping`: `{"status": "ok"}`;
- `GET /metadata`: the model's signature and a body `/invocations` takes (for the service's
  signature check and smoke request);
- `POST /invocations`: MLflow's scoring protocol, answered as `mlflow models serve` does.

A bare ASGI app on uvicorn, since per-request overhead is what limits small requests. The model
runs in one thread (so `/ping` answers while it predicts); requests that queue up meanwhile are
predicted together (see `scoring.Scorer.score_many`). SIGTERM stops after the requests in flight;
a replica whose service died stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import logging
import os
import queue
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the heavy imports wait until the secret is checked (a fast refusal)
    import uvicorn

    from .scoring import Answer, Scorer

SECRET_ENV = "SCALELAB_REPLICA_SECRET"
SECRET_HEADER = b"x-scalelab-replica-secret"
CONTENT_TYPES = ("application/json", "text/csv", "application/vnd.apache.parquet")
PARENT_POLL_SECONDS = 1.0
ORPHAN_GRACE_SECONDS = 10.0
GRACEFUL_SHUTDOWN_SECONDS = 30

log = logging.getLogger("scalelab.serving.replica")  # also when run as __main__

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _error(error_code: str, message: str) -> bytes:
    return json.dumps({"error_code": error_code, "message": message}).encode()


PING = b'{"status": "ok"}'
FORBIDDEN = _error("FORBIDDEN", "this replica answers only the service that started it")
NOT_FOUND = _error("ENDPOINT_NOT_FOUND", "no such route: use /ping, /metadata or /invocations")
NOT_ALLOWED = _error("BAD_REQUEST", "method not allowed on this route")


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = _error("BAD_REQUEST", message)


def media_type(content_type: bytes | None) -> str:
    """The media type of a request's Content-Type, if a replica takes it (else 415)."""
    supported = ", ".join(CONTENT_TYPES)
    if not content_type:
        raise HttpError(415, f"a Content-Type is required, one of {supported}")
    mime, *parameters = (part.strip() for part in content_type.decode("latin-1").split(";"))
    mime = mime.lower()
    if mime not in CONTENT_TYPES:
        raise HttpError(415, f"unsupported Content-Type {mime!r}: use one of {supported}")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "charset":
            raise HttpError(415, f"unsupported Content-Type parameter {name.strip()!r}")
        if value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise HttpError(415, "only the utf-8 charset is supported")
    return mime


# --- the prediction thread -------------------------------------------------------------------


@dataclass(eq=False)
class _Job:
    body: bytes
    mime: str
    future: asyncio.Future[Answer]
    loop: asyncio.AbstractEventLoop


def _settle(future: asyncio.Future[Answer], answer: Answer) -> None:
    if not future.done():
        future.set_result(answer)


class Predictor:
    """The one thread that runs the model. When it becomes free it takes every request that
    queued up meanwhile (up to `max_batch`), so a request never waits for a batch to fill."""

    def __init__(self, scorer: Scorer, max_batch: int) -> None:
        self._scorer = scorer
        self._max_batch = max(1, max_batch)
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="scalelab-predict", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    async def score(self, body: bytes, mime: str) -> Answer:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        self._queue.put(_Job(body, mime, future, loop))
        return await future

    def _run(self) -> None:
        from . import scoring

        while True:
            job = self._queue.get()
            if job is None:
                return
            jobs = [job]
            stopping = False
            while len(jobs) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                jobs.append(more)
            try:
                answers = self._scorer.score_many([(j.body, j.mime) for j in jobs])
            except BaseException as exc:  # the thread must outlive anything the model does
                log.warning("predicting failed: %s: %s", type(exc).__name__, exc)
                failed = scoring.Answer(
                    500, _error("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")
                )
                answers = [failed] * len(jobs)
            for j, answer in zip(jobs, answers, strict=True):
                with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                    j.loop.call_soon_threadsafe(_settle, j.future, answer)
            if stopping:
                return


# --- HTTP ------------------------------------------------------------------------------------


class ReplicaApp:
    """The ASGI app: secret check, three routes, body limit; scoring is the predictor's."""

    def __init__(
        self, secret: str, predictor: Predictor, metadata: dict[str, Any], max_body: int
    ) -> None:
        self._secret = secret.encode()
        self._predictor = predictor
        self._metadata = json.dumps(metadata).encode()
        self._max_body = max_body
        self._max_body_text = f"{max_body / 2**20:g} MiB"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        secret: bytes | None = None
        content_type: bytes | None = None
        content_length: bytes | None = None
        for name, value in scope["headers"]:
            if name == SECRET_HEADER:
                secret = value
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                content_length = value
        if secret is None or not hmac.compare_digest(secret, self._secret):
            await _respond(send, 403, FORBIDDEN)
            return
        path, method = scope["path"], scope["method"]
        if path == "/invocations":
            if method != "POST":
                await _respond(send, 405, NOT_ALLOWED)
                return
            await self._invocations(receive, send, content_type, content_length)
        elif path == "/ping":
            await _respond(send, *((200, PING) if method == "GET" else (405, NOT_ALLOWED)))
        elif path == "/metadata":
            await _respond(
                send, *((200, self._metadata) if method == "GET" else (405, NOT_ALLOWED))
            )
        else:
            await _respond(send, 404, NOT_FOUND)

    async def _invocations(
        self, receive: Receive, send: Send, content_type: bytes | None, length: bytes | None
    ) -> None:
        try:
            mime = media_type(content_type)
            if length is not None and length.isdigit() and int(length) > self._max_body:
                raise self._too_large()
            body = await self._read_body(receive)
        except HttpError as exc:
            log.debug("%d %s", exc.status, exc)
            await _respond(send, exc.status, exc.body)
            return
        if body is None:  # the client left
            return
        answer = await self._predictor.score(body, mime)
        await _respond(send, answer.status, answer.body)

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _too_large(self) -> HttpError:
        return HttpError(
            413, f"the request body is larger than this endpoint's limit of {self._max_body_text}"
        )


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- the process -----------------------------------------------------------------------------


class _Lifecycle:
    """The server and socket, as the parent watcher and the main thread both see them."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.socket_inode: int | None = None
        self.server: uvicorn.Server | None = None

    def remove_socket(self) -> None:
        """Remove the socket, if it is still the one this process made."""
        if self.socket_inode is None:
            return
        with contextlib.suppress(OSError):
            if os.stat(self.socket_path).st_ino == self.socket_inode:
                os.unlink(self.socket_path)

    def orphaned(self, parent: int) -> None:
        log.warning("the service (pid %d) is gone: stopping", parent)
        server = self.server
        if server is None:  # still loading the model: nothing to finish
            os._exit(1)
        server.should_exit = True
        time.sleep(ORPHAN_GRACE_SECONDS)
        log.warning("requests still in flight after %.0fs: exiting", ORPHAN_GRACE_SECONDS)
        self.remove_socket()
        os._exit(1)


def _watch_parent(parent: int, lifecycle: _Lifecycle) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    lifecycle.orphaned(parent)


def _bind(lifecycle: _Lifecycle) -> socket.socket:
    """The listening socket, mode 0600 from its creation on (umask, not a chmod after)."""
    path = lifecycle.socket_path
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        sock.bind(path)
    finally:
        os.umask(previous)
    lifecycle.socket_inode = os.stat(path).st_ino
    sock.setblocking(False)
    return sock


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scalelab.serving.replica",
        description="Load one MLflow model and answer on a Unix socket.",
    )
    parser.add_argument("--model-dir", required=True, help="folder holding the MLmodel file")
    parser.add_argument("--socket", required=True, help="Unix socket to answer on")
    parser.add_argument("--max-batch", type=int, default=32, help="requests per predict call")
    parser.add_argument("--max-rows", type=int, default=10_000, help="rows per request")
    parser.add_argument("--max-body-mb", type=float, default=10, help="MiB per request body")
    args = parser.parse_args(argv)
    for name in ("max_batch", "max_rows", "max_body_mb"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    return args


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s replica[%(process)d] %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("scalelab").setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    parent = os.getppid()
    args = _parse_args(argv)
    secret = os.environ.pop(SECRET_ENV, "")
    if not secret:
        print(f"replica: ${SECRET_ENV} is missing or empty; refusing to start", file=sys.stderr)
        return 2
    _configure_logging()
    lifecycle = _Lifecycle(args.socket)
    threading.Thread(
        target=_watch_parent, args=(parent, lifecycle), name="scalelab-parent", daemon=True
    ).start()
    return _serve(args, secret, lifecycle)


def _serve(args: argparse.Namespace, secret: str, lifecycle: _Lifecycle) -> int:
    import mlflow.pyfunc
    import uvicorn
    from mlflow.environment_variables import _MLFLOW_IS_IN_SERVING_ENVIRONMENT

    from .scoring import Scorer, describe, one_line

    started = time.monotonic()
    try:
        model = mlflow.pyfunc.load_model(args.model_dir)
    except Exception as exc:
        traceback.print_exc()
        log.error(
            "cannot load the model in %s: %s: %s", args.model_dir, type(exc).__name__, one_line(exc)
        )
        return 1
    os.environ[_MLFLOW_IS_IN_SERVING_ENVIRONMENT.name] = "true"  # as MLflow's own server does
    predictor = Predictor(Scorer(model, args.max_rows), args.max_batch)
    app = ReplicaApp(
        secret, predictor, describe(model, args.model_dir), int(args.max_body_mb * 2**20)
    )
    config = uvicorn.Config(
        app,
        interface="asgi3",
        lifespan="off",
        ws="none",
        log_config=None,
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = uvicorn.Server(config)
    lifecycle.server = server

    # uvicorn re-raises the SIGTERM it caught once it has stopped, to the handler it found: this
    # one, so the process goes on to remove its socket and exits 0 (and a SIGTERM that arrives
    # before uvicorn's own handler is in place still stops it).
    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    for handled in (signal.SIGTERM, signal.SIGINT):
        signal.signal(handled, stop)
    predictor.start()
    sock = _bind(lifecycle)
    log.info(
        "serving %s on %s (loaded in %.1fs)",
        args.model_dir,
        args.socket,
        time.monotonic() - started,
    )
    try:
        server.run(sockets=[sock])
    finally:
        lifecycle.remove_socket()
        predictor.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
