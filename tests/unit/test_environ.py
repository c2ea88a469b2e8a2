"""The service's credentials stay out of the processes that run people's code."""

from __future__ import annotations

from scalelab.environ import child_environ

SERVICE = {
    "PATH": "/usr/bin",
    "LANG": "C.UTF-8",
    "SCALELAB_DATA_ROOT": "/srv/data",
    "JUPYTERHUB_API_TOKEN": "t",
    "JPY_API_TOKEN": "t",
    "JUPYTERHUB_OAUTH_CALLBACK_URL": "u",
    "CONFIGPROXY_AUTH_TOKEN": "t",
    "SCALELAB_CONFIG_JSON": "{}",
    "SCALELAB_SECTIONS_JSON": "{}",
    "PGPASSWORD": "p",
    "AWS_SECRET_ACCESS_KEY": "k",
    "GITHUB_TOKEN": "t",
    "SSH_PRIVATE_KEY": "k",
}


def test_credentials_are_left_out_and_the_rest_kept() -> None:
    assert child_environ(SERVICE) == {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "SCALELAB_DATA_ROOT": "/srv/data",
    }
