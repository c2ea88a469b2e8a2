"""ScaleLab's authenticator: NativeAuthenticator (bcrypt-hashed passwords in the hub database),
plus accounts seeded from a credentials file on start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler as NativeLoginHandler
from traitlets import Unicode

from .demo import read_accounts


class _NoTimer:
    def start(self) -> _NoTimer:
        return self

    def stop(self, send: bool = True) -> None:
        return None


class _NoStatsd:
    def timer(self, _name: str) -> _NoTimer:
        return _NoTimer()


class LoginHandler(NativeLoginHandler):
    """NativeAuthenticator 1.3's login page, made to work on JupyterHub 6.

    JupyterHub 6 dropped the handlers' `statsd` client that 1.3 still times logins with, and
    re-renders a failed form submission with extra keywords that 1.3's `_render` refuses.
    """

    statsd = _NoStatsd()

    def _render(
        self, login_error: str | None = None, username: str | None = None, **_ignored: Any
    ) -> Any:
        return super()._render(login_error=login_error, username=username)


class ScaleLabAuthenticator(NativeAuthenticator):
    """Password login with accounts kept (hashed) in the hub database.

    Sign-up stays open for new people; an admin approves them at /hub/authorize, as in
    NativeAuthenticator. Accounts listed in `seed_credentials_file` are created, already
    approved, when the hub starts.
    """

    seed_credentials_file = Unicode(
        "",
        help="""File of 'admin|user NAME PASSWORD' lines; missing accounts are created at start.

        Existing accounts are left alone, so a changed password is never reset.""",
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.seed_credentials_file:
            self.seed_accounts(Path(self.seed_credentials_file))

    def get_handlers(self, app: Any) -> list[tuple[str, Any]]:
        return [
            (pattern, LoginHandler if pattern == r"/login" else handler)
            for pattern, handler in super().get_handlers(app)
        ]

    def seed_accounts(self, path: Path) -> None:
        for account in read_accounts(path):
            if self.user_exists(account.name):
                continue
            info = self.create_user(account.name, account.password)
            if info is None:
                raise ValueError(f"{path}: could not create account {account.name!r}")
            info.is_authorized = True
            self.db.commit()
            self.log.info("Created account %s from %s", account.name, path)
