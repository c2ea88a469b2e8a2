"""A service on PostgreSQL keeps each project's MLflow data in a PostgreSQL database too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.inprocess.service import in_process_service
from tests.pg import Postgres

pytestmark = [pytest.mark.inprocess, pytest.mark.postgres]


def test_projects_mlflow_data_lives_on_the_service_database_server(
    tmp_path: Path, postgres: Postgres
) -> None:
    service_db = postgres.create_database("tracked_service")
    with in_process_service(tmp_path, {"ScaleLab": {"db_url": service_db}}) as service:
        call = {"Authorization": f"token {service.token_for('ada')}"}
        r = requests.post(
            service.service_url + "api/projects", json={"slug": "pgsql"}, headers=call
        )
        assert r.status_code == 201, r.text
        os.environ["MLFLOW_TRACKING_URI"] = service.service_url + "mlflow/pgsql"
        os.environ["MLFLOW_TRACKING_TOKEN"] = service.token_for("ada")
        try:
            from mlflow import MlflowClient

            client = MlflowClient()
            experiment = client.get_experiment_by_name("pgsql")
            run = client.create_run(experiment.experiment_id)
            client.log_metric(run.info.run_id, "auc", 0.75)
        finally:
            del os.environ["MLFLOW_TRACKING_URI"], os.environ["MLFLOW_TRACKING_TOKEN"]
        assert not list((tmp_path / "tracking").glob("*/mlflow.sqlite"))
    engine = create_engine(service_db.rsplit("/", 1)[0] + "/tracked_service_mlflow_1")
    try:
        with engine.connect() as connection:
            value = connection.execute(
                text("SELECT value FROM metrics WHERE key = 'auc'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert value == 0.75
