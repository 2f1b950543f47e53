from facesaas.auth.replay import MemoryReplayStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_second_use_within_ttl_is_refused_and_forgotten_after() -> None:
    clock = FakeClock()
    store = MemoryReplayStore(clock=clock)
    assert store.check_and_remember("a", 10) is True
    assert store.check_and_remember("a", 10) is False
    assert store.check_and_remember("b", 10) is True
    clock.now += 11
    assert store.check_and_remember("a", 10) is True  # expired, so new again
    assert len(store) == 1  # "b" was purged too
