"""Mattermost plugin runtime over gRPC."""
