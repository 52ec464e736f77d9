"""Community Escalations: a Mattermost plugin whose server side is this Python package.

Subpackages:
    policy   -- the escalation policy as data: model, loader/validator, pure routing engine.
    runtime  -- our own wire-compatible Mattermost plugin gRPC layer (hooks servicer, API client).
    app      -- the escalation workflow built on the two above.
"""
