"""Mattermost plugin runtime over gRPC: our own wire-compatible layer for a Python plugin.

Modules (import from them directly; this package imports nothing eagerly):

* :mod:`~escalations.runtime.plugin` -- ``Plugin`` base class (override hooks), ``run(factory)``
  (the whole process contract), ``serve(plugin)`` (hooks server for in-process tests).
* :mod:`~escalations.runtime.api` -- ``PluginAPIClient``: typed, thread-safe PluginAPI calls.
* :mod:`~escalations.runtime.models` -- frozen records (Post, User, Channel, Team, ...).
* :mod:`~escalations.runtime.errors` -- the exception tree (both upstream error conventions).
* :mod:`~escalations.runtime.http` -- Request/Response, Router, ``require_user``, JSON helpers.
* :mod:`~escalations.runtime.hooks`, :mod:`~escalations.runtime.health` -- the gRPC servicers.
* :mod:`~escalations.runtime.pb` -- the generated stubs (``make gen``), from ``proto/``.
"""
