import gc

from facilities.heap import freeze_startup_heap


def test_freeze_keeps_start_up_objects_out_of_later_collections() -> None:
    built_at_start_up = {"site": ["meter"] * 3}
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        assert not any(obj is built_at_start_up for obj in gc.get_objects())  # skipped by every collection
        made_later: list[object] = []
        made_later.append(made_later)  # a cycle made after the freeze is still collected
        assert any(obj is made_later for obj in gc.get_objects())
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
