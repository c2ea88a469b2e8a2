"""The ScaleLab hub service: REST API behind JupyterHub authentication."""
