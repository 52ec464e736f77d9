"""What the server does around a hook call: plugin HTTP requests, button clicks, slash commands,
dialog submissions. Each function reads state, calls the plugin **without** holding the state
lock, then applies the answer the way upstream does.

The rules are in docs/protocol.md: §6 and §6.3 (plugin requests, identity headers), §7.1–§7.3
(button presses and their answers), §3.3 (``CommandArgs``/``CommandResponse``), §7.4 (dialogs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import grpc

from escalations.runtime.pb import models_pb2
from hostemu import convert as cv
from hostemu.errors import AppError, ScenarioError, bad_request, forbidden, not_found
from hostemu.hooks import HooksClient, HttpCall, HttpExchange
from hostemu.model import OpenedDialog, Post
from hostemu.state import ServerState

STRIPPED_HEADERS = ("mattermost-user-id", "mattermost-plugin-id", "authorization")
RETAINED_PROPS = ("from_webhook", "override_username", "override_icon_url")
SESSION_COOKIE = "MMAUTHTOKEN"
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)\|([^>]+)>")


@dataclass(frozen=True)
class HttpResponse:
    """A plugin's answer to ``Host.http``; ``body`` joins every chunk it sent."""

    status: int
    headers: dict[str, list[str]]
    body: bytes
    chunks: tuple[bytes, ...] = ()
    grpc_error: str = ""

    def header(self, name: str) -> str | None:
        for key, values in self.headers.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class ClickResult:
    """Outcome of a button/menu click. ``error`` is what the clicker would see ("Action failed")."""

    status: int = 0
    response: dict[str, Any] | None = None
    updated_post: Post | None = None
    ephemeral: Post | None = None
    goto_location: str = ""
    error: AppError | None = None
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class CommandResult:
    response: dict[str, Any] | None = None
    error: AppError | None = None
    ephemeral: Post | None = None
    post: Post | None = None
    trigger_id: str = ""

    @property
    def text(self) -> str:
        return str((self.response or {}).get("text", ""))


@dataclass(frozen=True)
class DialogResult:
    status: int = 0
    response: dict[str, Any] | None = None
    error: AppError | None = None
    sent: bool = True
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> dict[str, str]:
        value = (self.response or {}).get("errors")
        return dict(value) if isinstance(value, dict) else {}


# -- plugin HTTP ---------------------------------------------------------------------------------
def plugin_path(plugin_id: str, path: str) -> str:
    """``url`` as the plugin sees it: the path after ``/plugins/{id}``, query kept (§6.1)."""
    for prefix in (f"/plugins/{plugin_id}", f"plugins/{plugin_id}"):
        if path == prefix or path.startswith((prefix + "/", prefix + "?")):
            path = path[len(prefix) :]
    return path if path.startswith("/") else "/" + path


def _strip_access_token(url: str) -> str:
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"
    ]
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def _clean_headers(headers: Mapping[str, str | list[str]] | None) -> dict[str, list[str]]:
    cleaned: dict[str, list[str]] = {}
    for key, value in (headers or {}).items():
        if key.lower() in STRIPPED_HEADERS:
            continue
        values = [value] if isinstance(value, str) else list(value)
        if key.lower() == "cookie":
            values = [_drop_session_cookie(v) for v in values]
            values = [v for v in values if v]
        if values:
            cleaned[key] = values
    return cleaned


def _drop_session_cookie(cookie: str) -> str:
    kept = [c.strip() for c in cookie.split(";") if not c.strip().startswith(SESSION_COOKIE + "=")]
    return "; ".join(c for c in kept if c)


def plugin_request(
    state: ServerState,
    hooks: HooksClient,
    sessions: Mapping[str, str],
    method: str,
    path: str,
    user_id: str | None,
    body: bytes,
    headers: Mapping[str, str | list[str]] | None,
    timeout: float,
) -> HttpExchange:
    """``servePluginRequest``: strip identity headers, set ``Mattermost-User-Id`` when the
    request is authenticated (an active user), stream through ServeHTTP."""
    url = _strip_access_token(plugin_path(state.plugin_id, path))
    cleaned = _clean_headers(headers)
    session_id = ""
    if user_id is not None and not state.directory.user(user_id).deactivated:
        cleaned["Mattermost-User-Id"] = [user_id]
        session_id = sessions[user_id]
    host = urlsplit(state.site_url).netloc
    call = HttpCall(
        method.upper(), url, cleaned, body, host, f"/plugins/{state.plugin_id}{url}", session_id
    )
    return hooks.serve_http(call, timeout)


# -- interactive buttons -------------------------------------------------------------------------
def _parse_slack_links(text: str) -> str:
    return _SLACK_LINK.sub(r"[\2](\1)", text)


def _action_target(state: ServerState, url: str) -> tuple[str, bool]:
    """(plugin path, in_process) for an integration URL; only our own plugin is reachable."""
    parts = urlsplit(url)
    in_process = not parts.scheme
    if not in_process and parts.netloc != urlsplit(state.site_url).netloc:
        raise ScenarioError(f"external integration URL not emulated: {url}")
    path = parts.path if not parts.query else f"{parts.path}?{parts.query}"
    relative, prefix = path.lstrip("/"), f"plugins/{state.plugin_id}"
    if relative != prefix and not relative.startswith((prefix + "/", prefix + "?")):
        raise not_found("api.plugin.not_found", f"no plugin serves {url}")
    return plugin_path(state.plugin_id, relative), in_process


def build_action_request(
    state: ServerState,
    post: Post,
    action: dict[str, Any],
    user_id: str,
    selected_option: str | None,
) -> dict[str, Any]:
    d = state.directory
    user, channel = d.user(user_id), d.channel(post.channel_id)
    team = d.teams.get(channel.team_id)
    context = dict((action.get("integration") or {}).get("context") or {})
    if action.get("type") == "select" or selected_option is not None:
        context["selected_option"] = selected_option or ""
    return {
        "user_id": user_id,
        "user_name": user.username,
        "channel_id": channel.id,
        "channel_name": channel.name,
        "team_id": channel.team_id,
        "team_domain": team.name if team else "",
        "post_id": post.id,
        "trigger_id": state.new_trigger(user_id),
        "type": action.get("type", "button"),
        "data_source": action.get("data_source", ""),
        "context": context,
    }


def click(
    state: ServerState,
    hooks: HooksClient,
    sessions: Mapping[str, str],
    post_id: str,
    action_id: str,
    user_id: str,
    selected_option: str | None,
    timeout: float,
) -> ClickResult:
    """``DoPostActionWithCookie`` for an integration URL served by this plugin."""
    try:
        with state.lock:
            post = state.posts.get(post_id)
            if not state.directory.can_read_channel(user_id, post.channel_id):
                raise forbidden(
                    "api.context.permissions.app_error",
                    "You do not have the appropriate permissions.",
                )
            action = post.action(action_id)
            if action is None:
                raise not_found("api.post.do_action.action_id.app_error", "action not found")
            request = build_action_request(state, post, action, user_id, selected_option)
            url = str((action.get("integration") or {}).get("url") or "")
        path, in_process = _action_target(state, url)
    except AppError as err:
        return ClickResult(error=err)
    exchange = plugin_request(
        state,
        hooks,
        sessions,
        "POST",
        path,
        user_id,
        json.dumps(request).encode(),
        {"Content-Type": "application/json"},
        timeout,
    )
    return _apply_action_answer(state, post, user_id, request, exchange, in_process)


def _decode_answer(exchange: HttpExchange, in_process: bool) -> dict[str, Any]:
    if not in_process and exchange.status != 200:
        raise bad_request(
            "api.post.do_action.action_integration.app_error",
            f"Action integration error. status={exchange.status}",
        )
    raw = exchange.local_body if in_process else exchange.body
    if not raw.strip():
        return {}  # in-process: an empty body means "no change" (§7.2)
    try:
        answer = json.loads(raw)
    except ValueError as exc:
        raise bad_request(
            "api.post.do_action.action_integration.app_error",
            f"Action integration error: invalid JSON: {exc}",
        ) from exc
    if not isinstance(answer, dict):
        raise bad_request("api.post.do_action.action_integration.app_error", "not a JSON object")
    return answer


def _apply_action_answer(
    state: ServerState,
    original: Post,
    user_id: str,
    request: dict[str, Any],
    exchange: HttpExchange,
    in_process: bool,
) -> ClickResult:
    try:
        answer = _decode_answer(exchange, in_process)
        error = answer.get("error")
        if isinstance(error, dict) and error.get("message"):  # v10.5+ (§7.2)
            raise bad_request("api.post.do_action.action_integration.app_error", error["message"])
        updated = _apply_update(state, original, answer.get("update"))
        ephemeral = _action_ephemeral(state, original, user_id, answer)
    except AppError as err:
        return ClickResult(status=exchange.status, error=err, request=request)
    return ClickResult(
        exchange.status,
        answer,
        updated,
        ephemeral,
        str(answer.get("goto_location") or ""),
        None,
        request,
    )


def _apply_update(state: ServerState, original: Post, update: Any) -> Post | None:
    """Upstream: id forced to the clicked post; ``props`` null keeps the original props, else
    the new props plus the retained keys; pinned status and reactions preserved; ``UpdatePost``."""
    if not isinstance(update, dict):
        return None
    new = cv.post_from_json(update)
    if update.get("props") is None:
        props = original.props
    else:
        retained = {k: original.props[k] for k in RETAINED_PROPS if k in original.props}
        props = {**new.props, **retained}
    new = Post(
        id=original.id,
        channel_id=original.channel_id,
        user_id=original.user_id,
        message=new.message,
        props=props,
        is_pinned=original.is_pinned,
        has_reactions=original.has_reactions,
        file_ids=new.file_ids,
    )
    return state.posts.update(new)


def _action_ephemeral(
    state: ServerState, original: Post, user_id: str, answer: dict[str, Any]
) -> Post | None:
    text = str(answer.get("ephemeral_text") or "")
    if not text:
        return None
    if not answer.get("skip_slack_parsing"):
        text = _parse_slack_links(text)
    retained = {k: original.props[k] for k in RETAINED_PROPS if k in original.props}
    post = Post(
        id="",
        channel_id=original.channel_id,
        user_id=user_id,
        message=text,
        root_id=original.root_id or original.id,
        props=retained,
    )
    return state.posts.send_ephemeral(user_id, post)


# -- slash commands ------------------------------------------------------------------------------
def command(
    state: ServerState,
    hooks: HooksClient,
    sessions: Mapping[str, str],
    implemented: frozenset[str],
    user_id: str,
    channel_id: str,
    text: str,
    root_id: str,
    team_id: str | None,
) -> CommandResult:
    """``ExecuteCommand`` for a plugin command, then ``HandleCommandResponse``."""
    trigger = text.strip().split(" ", 1)[0].lstrip("/")
    try:
        with state.lock:
            channel = state.directory.channel(channel_id)
            if not state.directory.can_use_commands(user_id, channel_id):
                raise forbidden(
                    "api.context.permissions.app_error",
                    "You do not have the appropriate permissions.",
                )
            team = channel.team_id or team_id or ""
            if state.command_for(team, trigger) is None or "ExecuteCommand" not in implemented:
                raise not_found(
                    "api.command.execute_command.not_found.app_error",
                    f"Command with a trigger of '{trigger}' not found.",
                )
        trigger_id = state.new_trigger(user_id)
        args = models_pb2.CommandArgs(
            user_id=user_id,
            channel_id=channel_id,
            team_id=team,
            root_id=root_id,
            parent_id=root_id,
            trigger_id=trigger_id,
            command=text,
            site_url=state.site_url,
        )
        answer = _call_command_hook(hooks, args, sessions[user_id])
        return _handle_command_response(state, user_id, channel_id, root_id, answer, trigger_id)
    except AppError as err:
        return CommandResult(error=err)


def _call_command_hook(hooks: HooksClient, args: Any, session_id: str) -> Any:
    try:
        answer = hooks.execute_command(args, session_id)
    except grpc.RpcError as err:
        raise AppError("plugin.grpc.execute_command.error", str(err.details()), 500) from err
    if answer.HasField("error") and answer.error.id:
        e = answer.error
        raise AppError(e.id, e.message, e.status_code or 500, e.where, e.detailed_error)
    return answer.response


def _handle_command_response(
    state: ServerState, user_id: str, channel_id: str, root_id: str, response: Any, trigger_id: str
) -> CommandResult:
    """Only the fields the server reads back (§3.3); ``type`` and attachments are ignored."""
    data = cv.message_to_dict(response)
    data.pop("type", None)
    text = response.text if response.skip_slack_parsing else _parse_slack_links(response.text)
    props = cv.struct_to_dict(response.props) if response.HasField("props") else {}
    target = response.channel_id or channel_id
    post = Post(
        id="", channel_id=target, user_id=user_id, message=text, root_id=root_id, props=props
    )
    if response.response_type == "in_channel":
        return CommandResult(data, None, None, state.posts.create(post), trigger_id)
    if text or props.get("attachments"):
        return CommandResult(
            data, None, state.posts.send_ephemeral(user_id, post), None, trigger_id
        )
    return CommandResult(data, None, None, None, trigger_id)


# -- dialogs -------------------------------------------------------------------------------------
def submit_dialog(
    state: ServerState,
    hooks: HooksClient,
    sessions: Mapping[str, str],
    dialog: OpenedDialog,
    user_id: str,
    submission: dict[str, Any],
    channel_id: str,
    team_id: str,
    cancelled: bool,
    timeout: float,
) -> DialogResult:
    """``SubmitInteractiveDialog`` to the dialog's URL (in-process for ``/plugins/...``)."""
    body = dialog.dialog
    if cancelled and not body.get("notify_on_cancel"):
        return DialogResult(sent=False)  # the webapp only tells the integration when asked to
    request = {
        "type": "dialog_submission",
        "callback_id": body.get("callback_id", ""),
        "state": body.get("state", ""),
        "user_id": user_id,
        "channel_id": channel_id,
        "team_id": team_id,
        "submission": {} if cancelled else submission,
        "cancelled": cancelled,
    }
    try:
        path, in_process = _action_target(state, dialog.url)
    except AppError as err:
        return DialogResult(error=err, request=request)
    exchange = plugin_request(
        state,
        hooks,
        sessions,
        "POST",
        path,
        user_id,
        json.dumps(request).encode(),
        {"Content-Type": "application/json"},
        timeout,
    )
    try:
        answer = _decode_answer(exchange, in_process)
    except AppError as err:
        return DialogResult(exchange.status, None, err, True, request)
    return DialogResult(exchange.status, answer, None, True, request)
