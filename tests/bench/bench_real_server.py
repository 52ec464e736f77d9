"""The plugin next to Mattermost itself, on the real server: one run, one table.

Needs the local server of the end-to-end suite and the stock bundle (``make dist``); starts the
server through ``scripts/mattermost-server start`` when it is not running (``MM_E2E_PORT`` /
``MM_E2E_PG_PORT`` choose its ports), uploads the bundle, configures and enables the plugin (the
rate limit at its highest, 100 per user and hour, so the gate is on), and puts the plugin's
settings back afterwards. Every figure is the whole path a client sees, over a keep-alive
connection per user; core and plugin calls alternate, so the load of a busy machine weighs on both
alike. Rows (p50 / p90 / p99 in ms, ratio of the p50s):

* ``POST /api/v4/posts`` with four @-mentions vs an escalation (``POST /plugins/<id>/api/v1/
  escalations``, as the webapp's Escalate dialog sends it);
* ``PUT /api/v4/posts/{id}/patch`` vs a Claim press by the escalation's owner
  (``POST /api/v4/posts/{id}/actions/claim``, as the webapp sends a button press);
* 20 patches at once vs 20 responders pressing Claim at once on 20 escalations (per round);
* ``GET /api/v4/channels/{id}/posts?per_page=25`` vs ``/escalation list`` (``POST /api/v4/
  commands/execute``) with 10,000 stored escalations, 1,000 of them open, then all open. The
  records are written straight into the plugin's KV store through the PluginAPI the server gave the
  running plugin (found through /proc; test tooling only, nothing in the product) and removed
  afterwards.

The bench's own escalations are removed from the KV store at the end (their posts stay), so that
runs do not pile up. The resident memory (RSS) of the Python backend, the Go bridge and the
redaction worker is printed after the start, after the presses and after the lists. Each row also
gives the processor time of those processes per plugin call. Timings are printed, never asserted.

Run alone: ``.venv/bin/python tests/bench/bench_real_server.py [--pairs N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

_ROOT = Path(__file__).resolve().parents[2]
for _p in (_ROOT / "server", _ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from bench.realserver import (  # noqa: E402
    Session,
    cpu_seconds,
    forget,
    pct,
    plugin_pids,
    rss_mb,
    seed,
    seed_record,
    spread,
    unseed,
)
from e2e.mmapi import MANAGE, PLUGIN_ID, PLUGIN_ROUTE, E2EError, Server  # noqa: E402
from e2e.ops import (  # noqa: E402
    CHANNEL_NAME,
    TEAM_NAME,
    bundle_path,
    disable_plugin,
    enable_plugin,
    plugin_api_target,
    upload_bundle,
)
from escalations.app.adapters.host import ClientKV  # noqa: E402
from escalations.app.domain import keys  # noqa: E402
from escalations.policy import bundled_policy_path, load_policy_file, route  # noqa: E402
from escalations.runtime.api import PluginAPIClient  # noqa: E402

BURST = 20
WARMUP = 5
TARGETS = {"escalate": "<= 2.5x", "claim": "<= 3x", "burst": "p99 < 150 ms", "list": "< 100 ms"}


T = TypeVar("T")


class Row(NamedTuple):
    """One line of the table; ``cpu_per_call``: processor seconds of the plugin's processes
    (backend, bridge, redactor) per plugin call, a figure the machine's load hardly moves."""

    label: str
    core: list[float]
    plugin: list[float]
    cpu_per_call: float
    target: str


class Bench:
    def __init__(self, server: Server, api: PluginAPIClient) -> None:
        self.server = server
        self.api = api
        self.kv = ClientKV(api)
        env = server.env
        self.staff: list[str] = list(env["staff"])
        self.community: list[str] = list(env["community"])
        self.sessions: dict[str, Session] = {}
        loaded = load_policy_file(bundled_policy_path()).policy
        assert loaded is not None
        self.policy = loaded
        self.topics = [t.key for t in loaded.topics if route(loaded, t.key).responders]
        self.rows: list[Row] = []
        self._made = 0
        self.made_ids: list[str] = []
        self.pids = plugin_pids(server)
        self._cpu = 0.0

    def timed_cpu(self, call: Callable[[], T]) -> T:
        """``call()``, adding the plugin's processor time meanwhile to the current row's."""
        before = sum(cpu_seconds(pid) for pid in self.pids.values())
        try:
            return call()
        finally:
            self._cpu += sum(cpu_seconds(pid) for pid in self.pids.values()) - before

    def add_row(self, label: str, core: list[float], plugin: list[float], target: str) -> None:
        self.rows.append(Row(label, core, plugin, self._cpu / max(1, len(plugin)), target))
        self._cpu = 0.0

    def session(self, username: str) -> Session:
        if username not in self.sessions:
            self.sessions[username] = Session(self.server, username)
        return self.sessions[username]

    # --- making things -----------------------------------------------------------------------

    def responders(self, topic: str) -> list[str]:
        return [m.username for m in route(self.policy, topic).responders]

    def source_post(self) -> str:
        who = self.community[self._made % len(self.community)]
        body = {"channel_id": self.server.channel_id("public"), "message": self._question()}
        post, _ = self.session(who).ok("POST", "/api/v4/posts", body, expect=201)
        return str(post["id"])

    def _question(self) -> str:
        return f"Community question {uuid.uuid4().hex[:8]}: how is my data used for telemetry?"

    def escalate(self, counted: bool = False) -> tuple[dict[str, Any], float]:
        """One escalation of a fresh community post (topic and escalator rotate); (record, s).
        ``counted``: its processor time counts for the current row."""
        post_id = self.source_post()
        n = self._made
        self._made += 1
        topic = self.topics[n % len(self.topics)]
        everyone = self.staff + self.community
        who = everyone[n % len(everyone)]
        # As the webapp sends it: with the channel of the post the menu was opened on.
        body = {
            "post_id": post_id,
            "topic": topic,
            "note": "Please have a look.",
            "channel_id": self.server.channel_id("public"),
        }

        def send() -> tuple[Any, float]:
            return self.session(who).ok("POST", f"{PLUGIN_ROUTE}/escalations", body, 201)

        esc, elapsed = self.timed_cpu(send) if counted else send()
        self.made_ids.append(str(esc["id"]))
        return dict(esc), elapsed

    def core_post(self, n: int) -> tuple[dict[str, Any], float]:
        """A staff member's post in a private channel mentioning four colleagues."""
        who = self.staff[n % len(self.staff)]
        others = [s for s in self.staff if s != who][:4]
        text = " ".join(f"@{o}" for o in others) + f" please look at this ({n})"
        body = {"channel_id": self.server.channel_id("private"), "message": text}
        post, elapsed = self.session(who).ok("POST", "/api/v4/posts", body, expect=201)
        return dict(post), elapsed

    # --- the rows ----------------------------------------------------------------------------

    def escalate_vs_post(self, pairs: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        core: list[float] = []
        plugin: list[float] = []
        posts: list[dict[str, Any]] = []
        made: list[dict[str, Any]] = []
        for i in range(pairs + WARMUP):
            if i % 2:
                (post, t_core), (esc, t_plugin) = self.core_post(i), self.escalate(i >= WARMUP)
            else:
                (esc, t_plugin), (post, t_core) = self.escalate(i >= WARMUP), self.core_post(i)
            posts.append(post)
            made.append(esc)
            if i >= WARMUP:
                core.append(t_core)
                plugin.append(t_plugin)
        self.add_row("post, 4 @-mentions | escalate", core, plugin, TARGETS["escalate"])
        return posts, made

    def claim_vs_patch(self, posts: list[dict[str, Any]], made: list[dict[str, Any]]) -> None:
        core: list[float] = []
        plugin: list[float] = []
        for i, (post, esc) in enumerate(zip(posts, made, strict=False)):
            author = self.session(self._username(post["user_id"]))
            patch = ("PUT", f"/api/v4/posts/{post['id']}/patch", {"message": "edited"})
            press: tuple[str, str, dict[str, Any]] = (
                "POST",
                f"/api/v4/posts/{esc['escalation_post_id']}/actions/claim",
                {},
            )
            owner = self.session(str(esc["owner"]))

            def claim(owner: Session = owner, press: Any = press) -> float:
                return float(owner.ok(*press)[1])

            measured = functools.partial(self.timed_cpu, claim) if i >= WARMUP else claim
            if i % 2:
                t_core, t_plugin = author.ok(*patch)[1], measured()
            else:
                t_plugin, t_core = measured(), author.ok(*patch)[1]
            if i >= WARMUP:
                core.append(t_core)
                plugin.append(t_plugin)
        self.add_row("post patch | Claim (owner)", core, plugin, TARGETS["claim"])

    def bursts(self, rounds: int) -> None:
        """Each round: ``BURST`` patches at once, then ``BURST`` Claim presses at once, each on
        its own fresh escalation, by as many different responders as the topics have."""
        core: list[float] = []
        plugin: list[float] = []
        users = self.staff + self.community
        patches = []
        for i in range(BURST):
            who, post_id = self._own_post(users[i % len(users)], i)
            patches.append((who, "PUT", f"/api/v4/posts/{post_id}/patch", {"message": "edited"}))
        slots = [dict[str, Session]() for _ in range(BURST)]
        with ThreadPoolExecutor(BURST) as pool:
            for r in range(rounds + 1):
                fresh = [self.escalate()[0] for _ in range(BURST)]
                presses: list[tuple[str, str, str, dict[str, Any]]] = [
                    (who, "POST", f"/api/v4/posts/{esc['escalation_post_id']}/actions/claim", {})
                    for esc, who in zip(fresh, self._pressers(fresh), strict=True)
                ]
                t_core = self._at_once(pool, slots, patches)
                send = functools.partial(self._at_once, pool, slots, presses)
                t_plugin = self.timed_cpu(send) if r > 0 else send()
                if r > 0:  # the first round warms the connections up
                    core += t_core
                    plugin += t_plugin
        label = f"{BURST} patches at once | {BURST} Claims at once"
        self.add_row(label, core, plugin, TARGETS["burst"])

    def _at_once(
        self,
        pool: ThreadPoolExecutor,
        slots: list[dict[str, Session]],
        calls: list[tuple[str, str, str, Any]],
    ) -> list[float]:
        """Send ``calls`` (user, method, path, body) together, each on its own connection."""
        gate = threading.Barrier(len(calls))

        def send(j: int) -> float:
            who, method, path, body = calls[j]
            s = slots[j].setdefault(who, Session(self.server, who))
            gate.wait()
            return s.ok(method, path, body)[1]

        return list(pool.map(send, range(len(calls))))

    def _pressers(self, fresh: list[dict[str, Any]]) -> list[str]:
        used: dict[str, int] = {}
        chosen = []
        for esc in fresh:
            names = self.responders(str(esc["topic"]))
            who = min(names, key=lambda n: used.get(n, 0))
            used[who] = used.get(who, 0) + 1
            chosen.append(who)
        return chosen

    def _own_post(self, who: str, n: int) -> tuple[str, str]:
        kind = "private" if who in self.staff else "public"
        body = {"channel_id": self.server.channel_id(kind), "message": f"burst post {n}"}
        post, _ = self.session(who).ok("POST", "/api/v4/posts", body, expect=201)
        return who, str(post["id"])

    def _username(self, user_id: str) -> str:
        for name, user in self.server.env["users"].items():
            if user["id"] == user_id:
                return str(name)
        raise E2EError(f"unknown user {user_id}")

    def list_at(self, stored: int, runs: int) -> None:
        reader = self.session(self.responders(self.topics[0])[0])
        team = self.server.team_id
        channel, _ = reader.ok("GET", f"/api/v4/teams/{team}/channels/name/{CHANNEL_NAME}")
        command = {"channel_id": channel["id"], "command": "/escalation list", "team_id": team}
        posts = f"/api/v4/channels/{self.server.channel_id('private')}/posts?per_page=25"
        now = int(time.time() * 1000)
        shapes = (
            (stored // 10, f"{stored:,} stored, {stored // 10:,} open"),
            (stored, f"{stored:,} stored, all open"),
        )
        records = []
        try:
            for open_count, label in shapes:
                records = [seed_record(n, now, n < open_count) for n in range(stored)]
                if open_count == stored:  # newer versions, so the index takes them
                    records = [r.with_changes(now).with_changes(now) for r in records]
                started = time.perf_counter()
                seed(self.api, records)
                seeded = time.perf_counter() - started
                print(f"   seeded {stored:,} records ({label}) in {seeded:.1f} s", flush=True)
                core: list[float] = []
                plugin: list[float] = []
                for i in range(runs + WARMUP):
                    t_core = reader.ok("GET", posts)[1]
                    send = functools.partial(reader.ok, "POST", "/api/v4/commands/execute", command)
                    answer, t_plugin = self.timed_cpu(send) if i >= WARMUP else send()
                    if "Open escalations" not in str(answer.get("text")):
                        raise E2EError(f"unexpected list answer: {answer!r:.300}")
                    if i >= WARMUP:
                        core.append(t_core)
                        plugin.append(t_plugin)
                row = f"channel posts (25) | /escalation list, {label}"
                self.add_row(row, core, plugin, TARGETS["list"])
        finally:
            unseed(self.kv, records)

    def reset_rate_limits(self) -> None:
        """The bench escalates more than a person would: start every user's hour afresh."""
        for user in self.server.env["users"].values():
            self.kv.delete(keys.rate(user["id"]))

    def close(self) -> None:
        for s in self.sessions.values():
            s.close()


def print_table(rows: list[Row]) -> None:
    head = ("core call | plugin call", "core p50/p90/p99 ms", "plugin p50/p90/p99 ms", "ratio")
    width = max(len(r.label) for r in rows)
    print(f"   {head[0]:<{width}}  {head[1]:>21}  {head[2]:>21}  {head[3]:>6}  plugin CPU  target")
    for r in rows:
        ratio = pct(r.plugin, 0.5) / pct(r.core, 0.5) if r.core and r.plugin else 0.0
        print(
            f"   {r.label:<{width}}  {spread(r.core):>21}  {spread(r.plugin):>21}  {ratio:>5.1f}x"
            f"  {r.cpu_per_call * 1000:>7.1f} ms  {r.target}",
            flush=True,
        )


def ensure_server() -> Server | None:
    try:
        server = Server.load()
        if server.healthy():
            return server
    except E2EError:
        pass
    print("   starting the local server (scripts/mattermost-server start)", flush=True)
    done = subprocess.run([str(MANAGE), "start"], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"   not measured: the server did not start:\n{done.stdout}{done.stderr}")
        return None
    return Server.load()


def install(server: Server) -> dict[str, Any]:
    """Upload the bundle, configure the plugin for the bench, enable it; the settings before."""
    admin = server.admin
    config = admin.get("/api/v4/config").ok(200)
    before = dict((config["PluginSettings"].get("Plugins") or {}).get(PLUGIN_ID) or {})
    try:
        upload_bundle(admin, bundle_path())
    except E2EError as exc:  # installed, but its restart was slow (a busy machine): enabled below
        if "app.plugin.restart" not in str(exc):
            raise
    settings = {**before, "teamname": TEAM_NAME, "channelname": CHANNEL_NAME}
    settings["escalationsperhour"] = 100
    admin.put("/api/v4/config/patch", {"PluginSettings": {"Plugins": {PLUGIN_ID: settings}}})
    for attempt in (1, 2, 3):  # a first start after an upload can be slow on a busy machine
        try:
            enable_plugin(server)
            break
        except E2EError:
            if attempt == 3:
                raise
            disable_plugin(server)
    return before


def restore(server: Server, before: dict[str, Any]) -> None:
    patch = {"PluginSettings": {"Plugins": {PLUGIN_ID: before}}}
    server.admin.put("/api/v4/config/patch", patch).ok(200)


def memory(server: Server) -> str:
    pids = plugin_pids(server)
    return ", ".join(f"{name} {rss_mb(pid):.1f} MB" for name, pid in sorted(pids.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=60, help="escalations and core posts")
    parser.add_argument("--rounds", type=int, default=5, help=f"rounds of {BURST} presses")
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--list-runs", type=int, default=30)
    args = parser.parse_args(argv or [])
    if not bundle_path().exists():
        print(f"   not measured: no bundle at {bundle_path()} (run `make dist`)")
        return
    server = ensure_server()
    if server is None:
        return
    before = install(server)
    target = plugin_api_target(server)
    if target is None:
        raise E2EError("the plugin runs but its PluginAPI target was not found")
    api = PluginAPIClient.connect(target)
    bench = Bench(server, api)
    try:
        bench.reset_rate_limits()
        print(f"   RSS after start: {memory(server)}", flush=True)
        posts, made = bench.escalate_vs_post(args.pairs)
        bench.claim_vs_patch(posts, made)
        bench.bursts(args.rounds)
        print(f"   RSS after escalations and presses: {memory(server)}", flush=True)
        bench.list_at(args.stored, args.list_runs)
        print(f"   RSS after the lists: {memory(server)}", flush=True)
        print_table(bench.rows)
    finally:
        forget(bench.kv, bench.made_ids)
        bench.reset_rate_limits()
        bench.close()
        api.close()
        restore(server, before)


if __name__ == "__main__":
    main(sys.argv[1:])
