"""Redaction: recall and precision per class on the labelled corpus, and the worst time over
adversarial inputs up to a post's 16,383 characters (each detector's character classes repeated).
Figures are printed, never asserted."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

for _p in (Path(__file__).resolve().parents[2] / "server", Path(__file__).resolve().parents[1]):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from escalations.app.domain.redact import redact  # noqa: E402
from fixtures.redaction.scoring import score, table  # noqa: E402

POST_LIMIT = 16_383
# Each one repeats what a detector's candidate scan accepts, so that a pattern that backtracks or
# rescans shows up as a time growing faster than the length.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "dotted labels": lambda n: "a." * (n // 2),
    "ipv4-like": lambda n: "1.1." * (n // 4),
    "ipv6-like": lambda n: "1:" * (n // 2),
    "hex and colons": lambda n: "a:b::" * (n // 5),
    "digits+spaces": lambda n: "1 " * (n // 2),
    "digit groups": lambda n: "0151 1234567 " * (n // 13),
    "card-like": lambda n: "4111 " * (n // 5),
    "iban-like": lambda n: "DE89 " * (n // 5),
    "e-mail locals": lambda n: "a.b+c" * (n // 5) + "@",
    "many e-mails": lambda n: "a@b.co " * (n // 7),
    "spoken at/dot": lambda n: "a at b dot " * (n // 11),
    "brackets": lambda n: "a [at] b [dot] " * (n // 15),
    "token chars": lambda n: "aB3/" * (n // 4),
    "named values": lambda n: "password=" * (n // 9),
    "pem opener": lambda n: "-----BEGIN RSA PRIVATE KEY-----" + "A" * n,
    "entities": lambda n: "&#64;" * (n // 5),
    "escapes": lambda n: "\\." * (n // 2),
    "invisible": lambda n: "a\u200b" * (n // 2),
    "urls": lambda n: "https://x.io/" * (n // 13),
    "public links": lambda n: "github.com " * (n // 11),
    "closing brackets": lambda n: "https://x.io/" + ")" * n,
    "ssn-like": lambda n: "123-45-6789 " * (n // 12),
    "userinfo-like": lambda n: "a:b@" * (n // 4),
    "prose password": lambda n: "password is " * (n // 12),
    "ids": lambda n: "token " + "a" * 26 + " " * (n // 33),
    "mixed": lambda n: "jane@example.com 10.0.0.1 +1 415 555 0100 x " * (n // 45),
}


def _time(text: str) -> float:
    """Best CPU time of five runs (the CPU time of this process: other work on a shared machine
    does not count)."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        redact(text, POST_LIMIT)
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    for line in table(score(lambda text: redact(text, 100_000))):
        print("   " + line)
    print()
    worst = ("", 0.0)
    for name, make in ADVERSARIAL.items():
        times = {n: _time(make(n)[:n]) for n in (1_000, 4_000, POST_LIMIT)}
        growth = times[POST_LIMIT] / max(times[1_000], 1e-6)
        print(
            f"   {name:16} 1k {1000 * times[1_000]:6.1f} ms   4k {1000 * times[4_000]:6.1f} ms"
            f"   16k {1000 * times[POST_LIMIT]:6.1f} ms   (x{growth:.0f} for x16 length)"
        )
        if times[POST_LIMIT] > worst[1]:
            worst = (name, times[POST_LIMIT])
    print(f"   worst case at {POST_LIMIT} characters: {1000 * worst[1]:.1f} ms ({worst[0]})")


if __name__ == "__main__":
    main()
