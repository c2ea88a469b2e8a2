"""The demo project of a first `scalelab up`: the example pipeline, shared, with a schedule,
and (when asked) its model served at an endpoint, trained by a first run of the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Conflict, ScaleLabError
from ..runs.job import Job
from ..store import projects as projects_repo
from ..store import schedules as schedules_repo
from .models import ScheduleCreate

if TYPE_CHECKING:
    from .app import ScaleLab


async def seed_demo_project(app: ScaleLab) -> None:
    """Create `c.ScaleLab.demo_project` once; deleting it later does not bring it back."""
    slug = app.demo_project
    marker = app.data.demo_marker(slug)
    if not slug or marker.exists():
        return
    owners = [name for name, role in app.demo_members.items() if role == "owner"]
    if not owners:
        app.log.warning("c.ScaleLab.demo_members names no owner: no demo project made")
        return
    others = {name: role for name, role in app.demo_members.items() if name != owners[0]}
    try:
        await app.projects.create(slug, "Demo: breast cancer model", owners[0], "example", others)  # type: ignore[arg-type]
    except Conflict:
        marker.touch()
        return
    nightly = ScheduleCreate(
        name="nightly",
        target="pipeline.yaml",
        cron="0 6 * * *",
        timezone="UTC",
        notify="always",
    )
    with app.store.session() as session:
        project = projects_repo.get_project(session, slug)
        assert project is not None
        schedules_repo.add_schedule(
            session, app.schedules.new_row(project.id, nightly, owners[0]), slug
        )
        project_id = project.id
    marker.touch()
    app.log.info("Made the demo project %r with a nightly schedule", slug)
    if app.demo_endpoint:
        await deploy_demo_model(app, project_id, slug, owners[0], app.demo_endpoint)


async def deploy_demo_model(
    app: ScaleLab, project_id: int, slug: str, owner: str, endpoint: str
) -> None:
    """Run the example pipeline once, register the model its train step logged and serve it:
    the demo starts with a run, an experiment, a registered model and a live endpoint."""
    try:
        started = await app.runs.submit_job(
            project_id, slug, Job(target="pipeline.yaml"), trigger="user", triggered_by=owner
        )
        task = app.runs.tasks.get(started.id)
        run = await task if task is not None else started
        train = next((s for s in run.steps if s.name == "train"), None)
        if run.status != "succeeded" or train is None or not train.tracking_run_id:
            app.log.warning("The demo pipeline run %s did not train a model: none deployed", run.id)
            return
        _, version = await app.registry.register(
            project_id, slug, train.tracking_run_id, endpoint, owner, ["champion"]
        )
        await app.deployer.create(
            project_id,
            slug,
            endpoint,
            f"models:/{endpoint}/{version}",
            owner,
            min_replicas=1,
            max_replicas=2,
            request_log_rate=0.1,
        )
    except ScaleLabError as exc:
        app.log.warning("The demo model was not deployed: %s", exc.message)
