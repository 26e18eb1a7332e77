"""Mixed load on the portal with logged-in users of many agencies (synthetic data).

Run by benchmarks/load/run.sh, which starts gunicorn on PostgreSQL and picks the user count and
pacing so that the total arrival rate is RATE requests per second:

    locust -f benchmarks/load/locustfile.py --headless --host http://127.0.0.1:8100 \\
        --users 100 --spawn-rate 5 --run-time 80s --reset-stats --csv /tmp/ita-load/r50

Each simulated user is a different agency's coordinator or division staff member, or an
oversight user: with ITA_SESSIONS (a file from sessions.py) it starts from a prepared session,
else it logs in through the real form (CSRF and all). It then requests pages at the times of
a Poisson process (poisson_arrivals): the arrivals do not depend on the server's speed, i.e. the
load is open-loop until the server saturates (then achieved < target).

Environment: ITA_RATE_PER_USER (requests/s per user, default 0.5), ITA_AGENCIES (how many
syn-NNNNN agencies exist, default 8000), ITA_PASSWORD (default the generator's), ITA_SEED.
"""

import json
import os
import random
import re
import time

from locust import FastHttpUser, task

RATE = float(os.environ.get("ITA_RATE_PER_USER", "0.5"))
AGENCIES = int(os.environ.get("ITA_AGENCIES", "8000"))
PASSWORD = os.environ.get("ITA_PASSWORD", "ita-synthetic-2568")
PROVINCES = 77
YEARS = [int(y) for y in os.environ.get("ITA_YEARS", "2564,2565,2566,2567,2568").split(",")]
rng = random.Random(int(os.environ.get("ITA_SEED", "7")))
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


SESSIONS = json.load(open(os.environ["ITA_SESSIONS"])) if os.environ.get("ITA_SESSIONS") else None
_next = {"agency": 0, "oversight": 0}


def _session(kind: str) -> dict | None:
    """The next prepared session of this kind (benchmarks/load/sessions.py), round-robin."""
    if not SESSIONS:
        return None
    pool = [s for s in SESSIONS if s["kind"] == kind]
    s = pool[_next[kind] % len(pool)]
    _next[kind] += 1
    return s


def poisson_arrivals(rate: float):
    """Start tasks at the times of a Poisson process of `rate` per second, whatever they take.

    locust's constant_throughput kept users in step here (bursts of 10–20 requests at once, seen
    in the listen queue, p50 100 ms where the server took 20 ms); independent exponential gaps
    measured from the planned start times give a steady open-loop arrival rate instead.
    """

    def wait(user) -> float:
        now = time.monotonic()
        planned = getattr(user, "_planned", now)
        user._planned = max(planned, now - 5 / rate) + rng.expovariate(rate)
        return max(0.0, user._planned - now)

    return wait


class _LoggedIn(FastHttpUser):
    abstract = True
    headers: dict[str, str] = {}
    wait_time = poisson_arrivals(RATE)

    def start_session(self, kind: str, username: str) -> str:
        """Use a prepared session if there is one (ITA_SESSIONS), else log in through the form."""
        prepared = _session(kind)
        if prepared:
            self.headers = {"Cookie": f"sessionid={prepared['sessionid']}"}
            return prepared["username"]
        self.login(username)
        return username

    def login(self, username: str) -> None:
        page = self.client.get("/login/", name="login (GET)")
        token = _CSRF.search(page.text).group(1)
        r = self.client.post(
            "/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="login (POST)",
            allow_redirects=False,
        )
        if r.status_code != 302:
            raise RuntimeError(f"login failed for {username}: {r.status_code}")

    def get(self, path: str, name: str) -> None:
        self.client.get(path, name=name, headers=self.headers)


class AgencyUser(_LoggedIn):
    """A coordinator or a division's staff member of one agency (each user its own agency)."""

    weight = 8

    def on_start(self):
        username = f"syn-{rng.randint(1, AGENCIES):05d}-{rng.choice(['coord', 'staff'])}"
        self.code = self.start_session("agency", username)[:9]

    @task(3)
    def score_page(self):
        self.get(f"/a/{self.code}/", name="score page /a/<code>/")

    @task(3)
    def my_work(self):
        self.get(f"/a/{self.code}/my-work/", name="my work /a/<code>/my-work/")

    @task(2)
    def measure_list(self):
        self.get(f"/a/{self.code}/measures/", name="measure list /a/<code>/measures/")

    @task(1)
    def public_list(self):
        self.get(f"/p/{self.code}/", name="public reports /p/<code>/")


class OversightUser(_LoggedIn):
    """A province office or the national office, with filters and ranking pages."""

    weight = 2

    def on_start(self):
        username = "syn-national" if rng.random() < 0.25 else f"syn-prov-{rng.randint(1, PROVINCES):02d}"
        self.username = self.start_session("oversight", username)

    def _year(self) -> int:
        return rng.choice(YEARS)

    @task(3)
    def summary(self):
        kind = rng.choice(["", "", "SAO", "TM"])
        q = f"?year={self._year()}" + (f"&kind={kind}" if kind else "")
        self.get(f"/oversight/{q}", name="oversight summary /oversight/")

    @task(2)
    def ranking(self):
        page = rng.randint(1, 20 if self.username == "syn-national" else 3)
        self.get(f"/oversight/ranking/?year={self._year()}&page={page}", name="oversight ranking")
