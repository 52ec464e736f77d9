"""Named limits and formats of the policy file.

Every bound the loader enforces lives here, so the README, the JSON Schema (``policy/schema.json``)
and the tests can name them. Raising one is a product decision: the policy is rendered into posts,
dialogs and the webapp's topic picker, which all assume small, human-sized data.
"""

from __future__ import annotations

import re
from typing import Final

# The file format this code reads (the ``format_version`` key). Bump it only for an incompatible
# change of the format; the policy's own revision is the free-form ``version`` string.
FORMAT_VERSION: Final = 1

MAX_POLICY_BYTES: Final = 256 * 1024  # whole document, checked before parsing
# Brackets ("[", "{") open at once, checked before parsing: libyaml's composer recurses per
# level and crashes the process (SIGSEGV) on tens of thousands of nested flow collections.
MAX_BRACKET_DEPTH: Final = 32
MAX_TOPICS: Final = 50
MAX_ROLES: Final = 100
MAX_MEMBERS_PER_ROLE: Final = 50
MAX_ROLES_PER_LIST: Final = 20  # entries in one topic's approved_responders or loop_in
MAX_RESPONSE_TIPS: Final = 50

MAX_NAME_CHARS: Final = 64  # role names, display names, topic keys, version, channel/team names
MAX_TITLE_CHARS: Final = 200  # policy, topic and tip titles, source, last_updated
MAX_DESCRIPTION_CHARS: Final = 1_000  # topic descriptions
MAX_TEXT_CHARS: Final = 8_000  # template responses, guidance, tip texts, responder_signup

# Mattermost's own username rule (model.IsValidUsername): 3 to 22 characters from a-z, 0-9,
# ".", "-", "_", starting with a letter; plus its reserved names.
USERNAME_PATTERN: Final = re.compile(r"[a-z][a-z0-9._-]{2,21}")
RESERVED_USERNAMES: Final = frozenset({"all", "channel", "here", "matterbot", "system"})

# Topic keys are stable identifiers stored in escalation records and used by commands and the
# webapp: lowercase words joined by single hyphens.
TOPIC_KEY_PATTERN: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# Channel and team names follow Mattermost's URL-slug rule (lowercase, digits, "-", "_").
SLUG_PATTERN: Final = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
