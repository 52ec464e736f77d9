"""The escalation workflow: the product's plugin, built on ``escalations.policy`` and
``escalations.runtime``.

Folders are layers; an arrow may only point down (checked by ``lint-imports`` in ``make check``,
contracts in ``pyproject.toml``)::

    main.py, plugin.py   composition root: builds everything, wires the runtime's hooks
    presentation/        what people send and see: HTTP routes, buttons, slash commands, and
                         ``edge.py``, the one place errors become answers
    adapters/            the domain's ports over the runtime's PluginAPI client (``host.py``)
    workflow/            use cases: escalate, claim, resolve, activation, reminders, the store
    views/               the text of the bot's posts and answers (pure functions of records)
    domain/              records, state rules, errors, ports (``Host``, ``KV``), keys, redaction,
                         the active policy

Presentation and adapters do not import each other; only they (and the composition root) import
``escalations.runtime``.

Entry point: ``main.main()`` (called by ``server/plugin.py``).
"""
