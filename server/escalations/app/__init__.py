"""The escalation workflow: the product's plugin, built on ``escalations.policy`` and
``escalations.runtime``.

Layers, arrows pointing inward::

    plugin.py (hooks) ── routes.py (HTTP API, actions, dialog) ── commands.py (/escalation)
          │                         │                                   │
          └── activation.py ────────┴──────── service.py (use cases) ───┘
                                              │        │
               transitions.py, model.py ──────┘        └── store.py ── kv.py (KV port, fake)
               render.py, redact.py, active_policy.py       keys.py, lock.py
    host.py adapts the runtime's PluginAPIClient to ports.Host and kv.KV.

Entry point: ``main.main()`` (called by ``server/plugin.py``).
"""
