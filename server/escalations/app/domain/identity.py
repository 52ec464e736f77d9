"""Policy usernames to user ids, each pinned to the account it first resolved to.

A username is only a label its owner can change: whoever renames frees the name, and anyone may
register a name the policy lists before its person has an account. Rights therefore follow user
ids. The first time a name resolves to an active account, its id is pinned in the KV store
(insert-if-absent, so every node pins the same account). From then on the name stands for that
account wherever it is renamed to; an account that later takes the name gets nothing, and the
conflict is reported until a system admin confirms the new account with ``repin``. A name seen
with no account at all is pinned to "nobody" (``UNCLAIMED``): whoever registers it later gets
nothing until a system admin confirms them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from escalations.app.domain import keys
from escalations.app.domain.kv import KV
from escalations.app.domain.ports import Host, UserRef

REPIN_COMMAND = "/escalation policy repin"
# The pin of a name that had no account when the plugin first saw it.
UNCLAIMED = b"-"


@dataclass(frozen=True)
class Account:
    """The account a policy name stands for."""

    name: str  # as the policy (or the allow-list) writes it
    user_id: str
    username: str  # the account's current username: what mentions use


@dataclass(frozen=True)
class Resolution:
    accounts: Mapping[str, Account]  # name -> account, active accounts only
    problems: tuple[str, ...]  # one line per name that cannot be used, with why

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(a.user_id for a in self.accounts.values())


def resolve(host: Host, kv: KV, names: Iterable[str]) -> Resolution:
    """Resolve ``names`` (two user look-ups and one KV read per name), pinning new names."""
    wanted = list(dict.fromkeys(n.lower() for n in names))
    by_name = {u.username: u for u in host.get_users_by_usernames(wanted)}
    pins = {name: _pin(kv, name, by_name.get(name)) for name in wanted}
    pinned_ids = [p for p in pins.values() if p and p != UNCLAIMED.decode()]
    by_id = {u.id: u for u in host.get_users_by_ids(pinned_ids)} if pinned_ids else {}
    accounts: dict[str, Account] = {}
    problems: list[str] = []
    for name in wanted:
        pin = pins[name]
        holder = by_name.get(name)
        if not pin:
            problems.append(f"@{name}: {'deactivated' if holder else 'unknown'} user")
            continue
        if pin == UNCLAIMED.decode():
            problems.append(_unclaimed(name, holder))
            continue
        account, problem = _judge(name, by_id.get(pin), holder)
        if account is not None:
            accounts[name] = account
        if problem:
            problems.append(problem)
    return Resolution(accounts, tuple(problems))


def _pin(kv: KV, name: str, holder: UserRef | None) -> str:
    """The pinned id of ``name``; pins the current holder if there is no pin and it is active."""
    key = keys.pin(name)
    raw = kv.get(key)
    if raw is None and (holder is None or (holder.active and not holder.is_bot)):
        # Insert-if-absent: a node that loses the race reads the winner's pin.
        value = UNCLAIMED if holder is None else holder.id.encode()
        if not kv.compare_and_set(key, None, value):
            value = kv.get(key) or b""
        raw = value
    return raw.decode() if raw else ""


def _unclaimed(name: str, holder: UserRef | None) -> str:
    if holder is None:
        return f"@{name}: unknown user"
    return (
        f"@{name}: the account was registered after the policy named it; a system admin "
        f"confirms it with `{REPIN_COMMAND} {name}`"
    )


def _judge(name: str, pinned: UserRef | None, holder: UserRef | None) -> tuple[Account | None, str]:
    other = holder is not None and (pinned is None or holder.id != pinned.id)
    hint = (
        f"; another account now holds the name: a system admin confirms it with "
        f"`{REPIN_COMMAND} {name}`"
        if other
        else ""
    )
    if pinned is None:
        return None, f"@{name}: the account it was pinned to no longer exists{hint}"
    if not pinned.active:
        return None, f"@{name}: deactivated user{hint}"
    account = Account(name, pinned.id, pinned.username)
    if pinned.username != name:
        return account, f"@{name}: renamed to @{pinned.username} (rights follow the account){hint}"
    return account, ""


def repin(host: Host, kv: KV, name: str) -> str:
    """Pin ``name`` to the account that holds it now (a system admin's decision). Returns the
    text to show."""
    name = name.strip().removeprefix("@").lower()
    found = host.get_users_by_usernames([name]) if name else []
    holder = found[0] if found else None
    if holder is None or not holder.active or holder.is_bot:
        return f"No active account is called @{name}; nothing was changed."
    key = keys.pin(name)
    for _ in range(3):
        old = kv.get(key)
        if old == holder.id.encode():
            return f"@{name} is already pinned to that account."
        if kv.compare_and_set(key, old, holder.id.encode()):
            return f"@{name} is now pinned to the account that holds the name (`{holder.id}`)."
    return "The pin changed meanwhile; try again."
