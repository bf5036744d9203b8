from tricircle.proxy.cache import TTLCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_ttl():
    clock = Clock()
    cache: TTLCache[str] = TTLCache(ttl=5, max_size=10, clock=clock)
    cache.put("a", "1")
    clock.now = 4.9
    assert cache.get("a") == "1"
    clock.now = 5.0
    assert cache.get("a") is None
    assert len(cache) == 0


def test_least_recently_used_entry_is_evicted_first():
    cache: TTLCache[int] = TTLCache(ttl=60, max_size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_invalidate_and_disabled_cache():
    cache: TTLCache[int] = TTLCache(ttl=60, max_size=2)
    cache.put("a", 1)
    cache.invalidate("a")
    assert cache.get("a") is None
    off: TTLCache[int] = TTLCache(ttl=0, max_size=2)
    off.put("a", 1)
    assert off.get("a") is None
