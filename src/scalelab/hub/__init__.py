"""Pieces that run inside JupyterHub: the authenticator, deployment settings, demo accounts."""
