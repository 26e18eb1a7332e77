"""Make logged-in sessions for the load test's users, without paying for N password hashes.

    python benchmarks/load/sessions.py --users 100 --agencies 8000 > /tmp/ita-load/sessions.json

A real login costs one PBKDF2 hash (about a second of CPU here, on purpose); a load test that
logs in 100 users at once measures that, not the pages. The sessions are made the way
django.contrib.auth.login makes them (user id, backend, session hash) in the session store the
app uses, for synthetic users only: agencies' coordinators and staff (each a different agency) and
oversight users. Prints JSON: [{"username", "sessionid", "code", "kind"}].
"""

import argparse
import json
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ita_portal.settings")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--agencies", type=int, default=8000)
    parser.add_argument("--oversight-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    rng = random.Random(args.seed)
    n_over = round(args.users * args.oversight_share)
    codes = rng.sample(range(1, args.agencies + 1), args.users - n_over)
    names = [f"syn-{c:05d}-{rng.choice(['coord', 'staff'])}" for c in codes]
    names += ["syn-national" if i % 4 == 0 else f"syn-prov-{rng.randint(1, 77):02d}" for i in range(n_over)]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    missing = sorted(set(names) - set(users))
    if missing:
        sys.exit(f"no such users (run generate_synthetic first): {missing[:5]}")
    out = []
    for name in names:
        user = users[name]
        s = SessionStore()
        s[SESSION_KEY] = str(user.pk)
        s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        kind = "oversight" if not name.startswith("syn-0") else "agency"
        out.append({"username": name, "sessionid": s.session_key, "code": name[:9], "kind": kind})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
