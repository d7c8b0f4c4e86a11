"""What each page of bench/load.py costs, without load: database queries and CPU time per page
in process (Django's test client, best of six batches of ten), then the CPU the same page costs
a real Daphne serving one request at a time (the server's share: HTTP parsing, the thread hops).

The data is load.py's: workspaces whose galleries hold 30 finished videos each.

Run: BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 .venv/bin/python bench/page_costs.py
"""

from __future__ import annotations

import os
import re
import sys
import time

os.environ.setdefault("LOAD_WORKSPACES", "2")
os.environ.setdefault("LOAD_MEMBERS", "4")
os.environ.setdefault("DJANGO_DEBUG", "0")

import load  # sets up Django on a throwaway database, with load.py's settings
import psutil
import requests


def _cpu_ms(fn: object, batches: int = 6, per_batch: int = 10) -> float:
    best = float("inf")
    for _ in range(batches):
        start = time.process_time()
        for _ in range(per_batch):
            fn()  # type: ignore[operator]
        best = min(best, (time.process_time() - start) / per_batch * 1000)
    return best


def main() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    live = load._stack.live
    call_command("migrate", verbosity=0)
    live.flush_broker()
    worker = live.start_worker("page-costs")
    try:
        people = load.make_people()
        load.fill_galleries(people)
    finally:
        worker.stop()
    user, workspace = people["members"][-1]
    client = Client()
    client.force_login(user)
    gallery = client.get(f"/w/{workspace.pk}/gallery/").content.decode()
    job_page = re.findall(r'href="(/w/\d+/jobs/\d+/)"', gallery)[0]
    pages = {
        "dashboard": f"/w/{workspace.pk}/",
        "gallery": f"/w/{workspace.pk}/gallery/",
        "job page": job_page,
        "editor": f"/w/{workspace.pk}/new/",
    }
    print("in process (test client):")
    for name, url in pages.items():
        for _ in range(3):
            client.get(url)
        asked: list[str] = []

        def count(execute, sql, params, many, context, asked=asked):  # type: ignore[no-untyped-def]
            asked.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        cpu = _cpu_ms(lambda url=url: client.get(url))
        print(f"  {name:10s} {len(asked):3d} queries  {cpu:6.1f} ms CPU")

    port = live.free_port()
    server = live.start_server(port, "page-costs-daphne")
    try:
        proc = psutil.Process(server.proc.pid)
        session = requests.Session()
        session.cookies.set("sessionid", load.session_of(user))
        print("through one Daphne, one request at a time (the server process's CPU):")
        for name, url in pages.items():
            for _ in range(3):
                session.get(f"http://127.0.0.1:{port}{url}")
            n = 40
            before = sum(proc.cpu_times()[:2])
            for _ in range(n):
                assert session.get(f"http://127.0.0.1:{port}{url}").status_code == 200
            print(f"  {name:10s} {(sum(proc.cpu_times()[:2]) - before) / n * 1000:6.1f} ms CPU")
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
