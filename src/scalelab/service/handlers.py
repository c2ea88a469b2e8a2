"""Tornado handlers of the service: authenticate, validate, call core or store, write JSON."""

from __future__ import annotations

import json
import re
import sys
import traceback
import uuid
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated, UserNotAllowed
from pydantic import BaseModel, ValidationError
from tornado import web

from .. import store
from .._version import __version__
from ..errors import Conflict, Forbidden, InvalidInput, NotFound, ScaleLabError
from ..identity import Identity
from ..paths import PathOutsideRoot
from ..workspaces import InvalidSlug
from .models import (
    DatabaseHealth,
    DeploymentHealth,
    ErrorModel,
    HealthModel,
    PreferencesModel,
    UserModel,
)
from .openapi import Operation, build_openapi

if TYPE_CHECKING:
    from .app import ScaleLab

M = TypeVar("M", bound=BaseModel)
ERROR_STATUS: dict[type[Exception], int] = {
    InvalidInput: 400,
    InvalidSlug: 400,
    PathOutsideRoot: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
}


def error_status(exc: BaseException) -> int | None:
    for kind, status in ERROR_STATUS.items():
        if isinstance(exc, kind):
            return status
    return None


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Deep enough for any real body; deeper ones would reach Python's recursion limit further on.
MAX_BODY_DEPTH = 64


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise InvalidInput(f"{where}: NUL characters are not allowed")
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise InvalidInput(f"{where}: lone surrogates (\\ud800-\\udfff) are not text") from None


def check_json_value(data: Any, max_depth: int = MAX_BODY_DEPTH) -> None:
    """Refuse data nested deeper than `max_depth`, or strings that are no storable text.

    PostgreSQL stores no NUL in text or JSON, a NUL in a file name is an error, and a lone
    surrogate (JSON's "\\ud800") encodes to no UTF-8 at all: refused here, each is a 400
    instead of an error further on. Iterative, so any depth is safe to walk.
    """
    stack: list[tuple[Any, int, str]] = [(data, 1, "body")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, str):
            _check_text(value, where)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > max_depth:
            raise InvalidInput(f"{where}: nested deeper than {max_depth} levels")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                _check_text(key, f"{where} (a key)")
            stack.append((item, depth + 1, f"{where}.{key}"))


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    """JSON in and out, a request id on every request, and JupyterHub authentication."""

    operations: ClassVar[dict[str, Operation]] = {}
    identity: Identity

    def initialize(self, app: ScaleLab) -> None:
        self.app = app
        self.hub_auth = app.hub_auth
        header = self.request.headers.get("X-Request-Id", "")
        self.request_id = header if _REQUEST_ID.match(header) else uuid.uuid4().hex

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        if hasattr(self, "request_id"):  # not yet set on the first call, from __init__
            self.set_header("X-Request-Id", self.request_id)

    async def prepare(self) -> None:
        self.set_header("X-Request-Id", self.request_id)
        length = len(self.request.body or b"")
        if length > self.app.max_body_size:
            raise web.HTTPError(
                413, f"request body of {length} bytes exceeds the limit of {self.app.max_body_size}"
            )
        try:
            model = await self.hub_auth.get_user(self, sync=False)
        except web.HTTPError as exc:
            if exc.status_code < 500:
                raise
            self._hub_unavailable(exc.log_message or "")
        if model is None:
            self._refuse_anonymous()
        try:
            model = self.check_hub_user(model)
        except UserNotAllowed as exc:
            who = exc.model
            raise web.HTTPError(
                403,
                f"{who.get('kind', 'user')} {who.get('name')} lacks the scope "
                f"access:services!service={self.app.service_name}",
            ) from None
        self._hub_auth_user_cache = model
        self._refuse_unknown_method()
        if any("\x00" in value for value in self.path_kwargs.values()):
            raise InvalidInput("NUL characters are not allowed in the path")
        identity = Identity.from_hub_model(model)
        if identity.kind == "user":
            # Groups from the hub itself: server tokens do not carry the groups scope.
            try:
                account = await self.app.directory.user(identity.name)
            except OSError as exc:
                self._hub_unavailable(str(exc))
            if account is None:
                raise web.HTTPError(403, f"user {identity.name} no longer exists in JupyterHub")
            # The token's own answer wins where it has the field: it is never older.
            fresh = {key: model[key] for key in ("admin", "created") if key in model}
            identity = Identity.from_hub_model({**account, **fresh})
        self.identity = identity

    def allowed_methods(self) -> list[str]:
        return [method.upper() for method in self.operations]

    def _refuse_unknown_method(self) -> None:
        """A method the handler does not declare: 405 (write_error adds the Allow header)."""
        method = self.request.method or ""
        if self.operations and method.lower() not in self.operations:
            raise web.HTTPError(
                405, f"{method} is not allowed here; use {', '.join(self.allowed_methods())}"
            )

    def _hub_unavailable(self, reason: str) -> NoReturn:
        # Without the hub no caller can be checked (it was stopped, killed, or is restarting):
        # 503 tells clients to try again, where HubAuth's own 500 reads as a bug of ours.
        if reason.startswith("Failed to connect") or not reason:
            reason = "JupyterHub does not answer"
        raise web.HTTPError(503, "cannot check who is calling: %s; try again shortly", reason)

    def _refuse_anonymous(self) -> None:
        accepts_html = "text/html" in self.request.headers.get("Accept", "")
        if self.request.method == "GET" and accepts_html:
            # A person who opened a service URL in the browser: send them through the hub login.
            self.redirect(self.get_login_url())
            raise web.Finish()
        raise web.HTTPError(
            401, "authentication required: log in, or send 'Authorization: token <hub token>'"
        )

    def get_current_user(self) -> Any:
        return getattr(self, "_hub_auth_user_cache", None)

    def check_xsrf_cookie(self) -> None:
        # Token-authenticated API clients are exempt; cookie sessions are checked by HubOAuth.
        return self.hub_auth.check_xsrf_cookie(self)

    def parse_body(self, model: type[M]) -> M:
        """The request body as `model`, or a 400 that says what is wrong with it."""
        try:
            data = json.loads(self.request.body or b"null", parse_constant=_refuse_constant)
        except RecursionError:
            raise InvalidInput(f"request body nests deeper than {MAX_BODY_DEPTH} levels") from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN, 5000-digit ints
            raise web.HTTPError(400, f"request body is not valid JSON: {exc}") from None
        check_json_value(data)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
                for err in exc.errors()
            )
            raise web.HTTPError(400, f"invalid {model.__name__}: {problems}") from None

    def write_model(self, model: BaseModel, status: int = 200) -> None:
        self.set_status(status)
        self.finish(model.model_dump_json())

    def _handle_request_exception(self, e: BaseException) -> None:
        status = error_status(e)
        if status is not None and not self._finished:
            self.send_error(status, exc_info=sys.exc_info())
            return
        super()._handle_request_exception(e)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = self._reason
        if status_code == 405 and self.operations:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        exc_info = kwargs.get("exc_info")
        if exc_info:
            exc = exc_info[1]
            if isinstance(exc, ScaleLabError):
                message = exc.message
            elif isinstance(exc, (InvalidSlug, PathOutsideRoot)):
                message = str(exc)
            elif isinstance(exc, web.HTTPError) and exc.log_message:
                message = exc.log_message % exc.args if exc.args else exc.log_message
            elif status_code >= 500:
                self.app.log.error(
                    "[%s] %s", self.request_id, "".join(traceback.format_exception(*exc_info))
                )
                message = "internal error; the service log has the details"
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(
            ErrorModel(
                status=status_code, message=message, request_id=self.request_id
            ).model_dump_json()
        )


class HealthHandler(BaseHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("Service version and whether its database answers", HealthModel),
    }

    def get(self) -> None:
        error = self.app.store.ping()
        database = DatabaseHealth(ok=error is None, backend=self.app.store.backend, error=error)
        status = "ok" if database.ok else "degraded"
        deployment = DeploymentHealth(
            mode=self.app.deployment_mode,
            roles_hold_for_kernels=self.app.workspace_access.holds_kernels_to_roles,
        )
        self.write_model(
            HealthModel(
                status=status, version=__version__, database=database, deployment=deployment
            )
        )


class MeHandler(BaseHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("The authenticated user or service", UserModel),
    }

    def get(self) -> None:
        with self.app.store.session() as session:
            store.touch_user(session, self.identity)
        who = self.identity
        self.write_model(
            UserModel(name=who.name, kind=who.kind, admin=who.admin, groups=list(who.groups))
        )


class PreferencesHandler(BaseHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("The caller's ScaleLab preferences", PreferencesModel),
        "put": Operation(
            "Replace the caller's ScaleLab preferences", PreferencesModel, body=PreferencesModel
        ),
    }

    def get(self) -> None:
        with self.app.store.session() as session:
            preferences = store.get_preferences(session, self.identity)
        self.write_model(PreferencesModel(preferences=preferences))

    def put(self) -> None:
        body = self.parse_body(PreferencesModel)
        with self.app.store.session() as session:
            store.set_preferences(session, self.identity, body.preferences)
        self.write_model(body)


class OpenAPIHandler(BaseHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("This document", None),
    }

    def get(self) -> None:
        self.finish(json.dumps(build_openapi(self.app.api_routes, self.app.base_url)))


class NotFoundHandler(BaseHandler):
    """Any other path: a JSON 404 (after authentication, so unknown routes do not leak either)."""

    async def prepare(self) -> None:
        await super().prepare()
        raise web.HTTPError(404, f"no such endpoint: {self.request.method} {self.request.path}")


class OAuthCallbackHandler(HubOAuthCallbackHandler):
    """Completes the browser's OAuth login with the service's own HubOAuth instance."""

    def initialize(self, app: ScaleLab) -> None:
        self.hub_auth = app.hub_auth
