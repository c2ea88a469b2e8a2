"""The demo project of a first `scalelab up`: the example pipeline, shared, with a schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Conflict
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
    marker.touch()
    app.log.info("Made the demo project %r with a nightly schedule", slug)
