import time
from .test_access_matrix import SUBJECTS, ID_ROUTES, Harness, harness  # noqa
def test_profile(world_db, harness):
    s = SUBJECTS[1]
    route = [r for r in ID_ROUTES if r.display == "sales/customers/<pk>/"][0]
    url, _ = route.build(s.target)
    harness.call(s, route, "GET", url)
    t=time.perf_counter()
    for _ in range(20): harness.snapshot.take()
    print("snapshot", (time.perf_counter()-t)/20)
    t=time.perf_counter()
    for _ in range(20): harness.client(s)
    print("client", (time.perf_counter()-t)/20)
    t=time.perf_counter()
    for _ in range(20): harness.call(s, route, "GET", url)
    print("call GET", (time.perf_counter()-t)/20)
    t=time.perf_counter()
    for _ in range(20): harness.call(SUBJECTS[0], route, "PUT", url)
    print("anon PUT", (time.perf_counter()-t)/20)
    import cProfile, pstats
    pr = cProfile.Profile(); pr.enable()
    for _ in range(20): harness.call(s, route, "GET", url)
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(35)
