"""Step slots: first come, first served, each waiter knowing its place, and no slot lost to a
waiter cancelled on the way."""

from __future__ import annotations

import asyncio

from scalelab.runs.slots import Slots


async def hold(slots: Slots, key: str, release: asyncio.Event, order: list[str]) -> None:
    async with slots.take(key):
        order.append(key)
        await release.wait()


def test_waiters_get_slots_in_turn_and_know_their_place() -> None:
    async def go() -> None:
        moves: list[dict[str, int]] = []
        slots = Slots(1)
        slots.on_change = lambda: moves.append(slots.places())
        order: list[str] = []
        release = {k: asyncio.Event() for k in "abcd"}
        tasks = {k: asyncio.ensure_future(hold(slots, k, release[k], order)) for k in "abc"}
        await asyncio.sleep(0)
        assert slots.places() == {"b": 1, "c": 2} and order == ["a"]
        # A waiter cancelled in line leaves it; the ones behind move up.
        tasks["b"].cancel()
        await asyncio.sleep(0)
        assert slots.places() == {"c": 1}
        release["a"].set()
        await tasks["a"]
        await asyncio.sleep(0)
        # The freed slot went to c, though d asked after it was freed.
        tasks["d"] = asyncio.ensure_future(hold(slots, "d", release["d"], order))
        await asyncio.sleep(0)
        assert order == ["a", "c"] and slots.places() == {"d": 1}
        release["c"].set()
        release["d"].set()
        await asyncio.gather(tasks["c"], tasks["d"])
        assert order == ["a", "c", "d"] and slots.busy == 0
        assert moves[-1] == {}

    asyncio.run(go())


def test_a_slot_handed_to_a_cancelled_waiter_passes_on() -> None:
    async def go() -> None:
        slots = Slots(1)
        order: list[str] = []
        release = {k: asyncio.Event() for k in "abc"}
        tasks = {k: asyncio.ensure_future(hold(slots, k, release[k], order)) for k in "abc"}
        await asyncio.sleep(0)

        def cancel_b() -> None:  # the moment the slot is b's, before b resumes
            if "b" not in slots.places():
                tasks["b"].cancel()

        slots.on_change = cancel_b
        release["a"].set()
        await tasks["a"]
        for _ in range(3):
            await asyncio.sleep(0)
        assert order == ["a", "c"] and tasks["b"].cancelled()
        release["c"].set()
        await tasks["c"]
        assert slots.busy == 0

    asyncio.run(go())
