package bridge

// The bridge against the real Python runtime: the runtime's fixture plugin
// (tests/runtime/fixtures/sample_plugin) started by the bridge with the project's virtualenv
// interpreter, its PluginAPI calls answered by plugintest mocks. Needs `make setup` (the venv)
// and `make gen` (the Python stubs); the top-level `make test-bridge` provides both.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
)

// repoRoot walks up from the test's directory to the repository root.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "server", "escalations", "runtime")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "repository root not found above the test directory")
		dir = parent
	}
}

// newPythonPlugin returns a bridge plugin for a Python plugin directory, run by the venv python.
func newPythonPlugin(t *testing.T, pluginDir, script string) (*Plugin, *testAPI) {
	t.Helper()
	root := repoRoot(t)
	python := filepath.Join(root, ".venv", "bin", "python")
	_, err := os.Stat(python)
	require.NoError(t, err, "the project virtualenv is missing: run `make setup`")
	_, err = os.Stat(filepath.Join(root, "server", "escalations", "runtime", "_pb"))
	require.NoError(t, err, "the Python gRPC stubs are missing: run `make gen`")

	api := &testAPI{API: &plugintest.API{}}
	p := &Plugin{
		Python: python, Script: script, BundleDir: filepath.Join(root, pluginDir),
		StopGrace: 3 * time.Second, MinBackoff: 100 * time.Millisecond,
	}
	p.SetAPI(api)
	t.Cleanup(func() {
		_ = p.OnDeactivate()
		if t.Failed() {
			t.Logf("server log:\n%s", api.dump())
		}
	})
	return p, api
}

func decodeJSON(t *testing.T, body []byte) map[string]any {
	t.Helper()
	out := map[string]any{}
	require.NoError(t, json.Unmarshal(body, &out), "body: %s", body)
	return out
}

func TestPythonFixtureThroughBridge(t *testing.T) {
	p, api := newPythonPlugin(t, "tests/runtime/fixtures/sample_plugin", "plugin.py")
	api.On("GetPluginConfig").Return(map[string]any{"Greeting": "hi", "Limit": 5}).Once()
	api.On("RegisterCommand", mock.MatchedBy(func(c *model.Command) bool { return c.Trigger == "fixture" && c.AutoComplete })).Return(nil).Once()

	start := time.Now()
	require.NoError(t, p.OnActivate())
	t.Logf("python fixture activated through the bridge in %s", time.Since(start))
	sess := p.current()
	require.NotNil(t, sess)
	for _, hook := range []string{"OnActivate", "OnConfigurationChange", "ExecuteCommand", "MessageHasBeenPosted", "ServeHTTP"} {
		assert.True(t, sess.implements(hook), "Implemented lists %s", hook)
	}

	// Configuration loaded in OnActivate over the API; numbers come back as doubles.
	w := serve(p, http.MethodGet, "/config", nil, nil)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, map[string]any{"Greeting": "hi", "Limit": float64(5)}, decodeJSON(t, w.Body.Bytes()))

	api.On("GetPluginConfig").Return(map[string]any{"Greeting": "changed"}).Once()
	require.NoError(t, p.OnConfigurationChange())
	w = serve(p, http.MethodGet, "/config", nil, nil)
	assert.Equal(t, map[string]any{"Greeting": "changed"}, decodeJSON(t, w.Body.Bytes()))

	// ServeHTTP: the server-set user header reaches the Python request; body streamed in chunks.
	body := make([]byte, 60<<10)
	w = serve(p, http.MethodPost, "/echo", body, map[string]string{"Mattermost-User-Id": "user-1"})
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, map[string]any{"user_id": "user-1", "len": float64(len(body))}, decodeJSON(t, w.Body.Bytes()))
	assert.Contains(t, w.Header().Get("Content-Type"), "application/json")

	// Over the plugin's body limit: the early 413 answer comes back while the body still streams.
	w = serve(p, http.MethodPost, "/echo", make([]byte, 1<<20), map[string]string{"Mattermost-User-Id": "user-1"})
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, w.Body.String())

	w = serve(p, http.MethodPost, "/echo", []byte("{}"), nil)
	assert.Equal(t, 401, w.Code, "no Mattermost-User-Id: the route refuses: %s", w.Body.String())

	w = serve(p, http.MethodGet, "/no/such/route", nil, nil)
	assert.Equal(t, 404, w.Code)

	// KV: embedded-error convention, bytes intact.
	api.On("KVSet", "greeting", []byte("hello")).Return(nil).Once()
	w = serve(p, http.MethodPut, "/kv/greeting", []byte("hello"), map[string]string{"Mattermost-User-Id": "user-1"})
	require.Equal(t, 200, w.Code, w.Body.String())
	api.On("KVGet", "greeting").Return([]byte("hello"), nil).Once()
	w = serve(p, http.MethodGet, "/kv/greeting", nil, nil)
	assert.Equal(t, map[string]any{"value": "hello"}, decodeJSON(t, w.Body.Bytes()))
	api.On("KVGet", "broken").Return(nil, model.NewAppError("KVGet", "app.plugin_store.get.app_error", nil, "", 500)).Once()
	w = serve(p, http.MethodGet, "/kv/broken", nil, nil)
	got := decodeJSON(t, w.Body.Bytes())
	assert.Equal(t, "app.plugin_store.get.app_error", got["error_id"], "embedded KV error reaches Python: %v", got)

	// Users: gRPC-status convention, mapped to the runtime's NotFoundError.
	api.On("GetUserByUsername", "nobody").Return(nil, model.NewAppError("GetUserByUsername", "app.user.missing_account.const", nil, "", 404)).Once()
	w = serve(p, http.MethodGet, "/users/nobody", nil, nil)
	got = decodeJSON(t, w.Body.Bytes())
	assert.Equal(t, "NotFoundError", got["class"], "%v", got)
	assert.Equal(t, "app.user.missing_account.const", got["error_id"])
	api.On("GetUserByUsername", "alex").Return(&model.User{Id: "u-alex", Username: "alex"}, nil).Once()
	w = serve(p, http.MethodGet, "/users/alex", nil, nil)
	assert.Equal(t, map[string]any{"id": "u-alex", "username": "alex"}, decodeJSON(t, w.Body.Bytes()))

	api.On("GetChannel", "c1").Return(&model.Channel{Id: "c1", Type: model.ChannelTypePrivate}, nil).Once()
	w = serve(p, http.MethodGet, "/channels/c1", nil, nil)
	assert.Equal(t, "c1", decodeJSON(t, w.Body.Bytes())["id"])

	// Slash command and MessageHasBeenPosted.
	resp, appErr := p.ExecuteCommand(&plugin.Context{}, &model.CommandArgs{UserId: "user-1", ChannelId: "c1", Command: "/fixture go"})
	require.Nil(t, appErr)
	assert.Equal(t, "fixture ran '/fixture go' for user-1", resp.Text)
	assert.Equal(t, model.CommandResponseTypeEphemeral, resp.ResponseType)

	p.MessageHasBeenPosted(&plugin.Context{}, &model.Post{Id: "p1", Message: "first post"})
	w = serve(p, http.MethodGet, "/posted", nil, nil)
	var posted []string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &posted))
	assert.Equal(t, []string{"first post"}, posted)

	// Stray prints in plugin code must not corrupt anything; they land in the server log.
	w = serve(p, http.MethodGet, "/noise", nil, nil)
	assert.Equal(t, 418, w.Code)
	assert.Eventually(t, func() bool { return api.logged("stray print from plugin code") }, 3*time.Second, 20*time.Millisecond)

	pid := sess.proc.Pid()
	require.NoError(t, p.OnDeactivate())
	assert.True(t, processGone(pid), "python process gone and reaped after OnDeactivate")
	api.AssertExpectations(t)
}

func TestPythonFixtureActivationFailure(t *testing.T) {
	t.Setenv("FIXTURE_MODE", "fail_activate")
	p, _ := newPythonPlugin(t, "tests/runtime/fixtures/sample_plugin", "plugin.py")
	err := p.OnActivate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fixture refuses to activate")
	assert.Nil(t, p.current())
}

func TestPythonFixtureCrashBeforeHandshake(t *testing.T) {
	t.Setenv("FIXTURE_MODE", "crash")
	p, _ := newPythonPlugin(t, "tests/runtime/fixtures/sample_plugin", "plugin.py")
	err := p.OnActivate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit status 3")
	assert.Contains(t, err.Error(), "fixture: crashing before the handshake")
}

// TestPythonAPITourThroughBridge runs the fixture's /tour route: one call of each API family the
// product uses, from the real Python client through the bridge's PluginAPI into plugin.API.
func TestPythonAPITourThroughBridge(t *testing.T) {
	p, api := newPythonPlugin(t, "tests/runtime/fixtures/sample_plugin", "plugin.py")
	api.On("GetPluginConfig").Return(map[string]any{}).Once()
	api.On("RegisterCommand", mock.Anything).Return(nil).Once()
	require.NoError(t, p.OnActivate())

	api.On("EnsureBotUser", mock.MatchedBy(func(b *model.Bot) bool { return b.Username == "fixture-bot" && b.DisplayName == "Fixture" })).Return("bot1", nil).Once()
	api.On("GetTeamByName", "core").Return(&model.Team{Id: "t1", Name: "core", Type: model.TeamInvite}, nil).Once()
	api.On("GetChannelByNameForTeamName", "core", "town", false).Return(&model.Channel{Id: "c1", TeamId: "t1", Name: "town", Type: model.ChannelTypeOpen}, nil).Once()
	api.On("CreateChannel", mock.MatchedBy(func(c *model.Channel) bool {
		return c.TeamId == "t1" && c.Type == model.ChannelTypePrivate && c.Name == "fixture-private"
	})).Return(&model.Channel{Id: "c2", TeamId: "t1", Name: "fixture-private", Type: model.ChannelTypePrivate}, nil).Once()
	api.On("AddChannelMember", "c2", "u1").Return(&model.ChannelMember{ChannelId: "c2", UserId: "u1"}, nil).Once()
	api.On("GetChannelMember", "c2", "u1").Return(&model.ChannelMember{ChannelId: "c2", UserId: "u1"}, nil).Once()
	root := &model.Post{Id: "r1", ChannelId: "c1", UserId: "bot1", Message: "root", CreateAt: 1}
	root.SetProps(model.StringInterface{"n": 1})
	api.On("CreatePost", mock.MatchedBy(func(p *model.Post) bool {
		return p.Message == "root" && p.UserId == "bot1" && p.GetProp("n") == float64(1)
	})).Return(root, nil).Once()
	reply := &model.Post{Id: "r2", ChannelId: "c1", UserId: "bot1", Message: "reply", RootId: "r1", CreateAt: 2}
	api.On("CreatePost", mock.MatchedBy(func(p *model.Post) bool { return p.Message == "reply" && p.RootId == "r1" })).Return(reply, nil).Once()
	api.On("GetPost", "r1").Return(root, nil).Once()
	api.On("UpdatePost", mock.MatchedBy(func(p *model.Post) bool { return p.Id == "r1" && p.Message == "root edited" })).
		Return(&model.Post{Id: "r1", Message: "root edited"}, nil).Once()
	api.On("GetPostThread", "r2").Return(&model.PostList{Order: []string{"r2", "r1"}, Posts: map[string]*model.Post{"r1": root, "r2": reply}}, nil).Once()
	api.On("SendEphemeralPost", "u1", mock.MatchedBy(func(p *model.Post) bool { return p.Message == "only you" && p.ChannelId == "c1" })).
		Return(&model.Post{Id: "e1", Message: "only you"}).Once()
	api.On("PublishWebSocketEvent", "tour", map[string]any{"count": float64(2)}, &model.WebsocketBroadcast{UserId: "u1"}).Return().Once()
	api.On("KVSetWithOptions", "claim:x", []byte("me"), model.PluginKVSetOptions{Atomic: true}).Return(true, nil).Once()
	api.On("KVSetWithOptions", "claim:x", []byte("you"), model.PluginKVSetOptions{Atomic: true}).Return(false, nil).Once()
	api.On("KVCompareAndSet", "claim:x", []byte("me"), []byte("them")).Return(true, nil).Once()
	api.On("KVSetWithExpiry", "lock:x", []byte("1"), int64(60)).Return(nil).Once()
	api.On("KVList", 0, 100).Return([]string{"lock:x", "claim:x"}, nil).Once()
	api.On("GetUsersByUsernames", []string{"alex"}).Return([]*model.User{{Id: "u-alex", Username: "alex"}}, nil).Once()
	api.On("GetUser", "u1").Return(&model.User{Id: "u1", Username: "me"}, nil).Once()
	api.On("HasPermissionTo", "u1", model.PermissionManageSystem).Return(false).Once()
	api.On("HasPermissionToChannel", "u1", "c2", model.PermissionReadChannel).Return(true).Once()
	api.On("GetServerVersion").Return("11.4.0").Once()
	cfg := &model.Config{}
	cfg.SetDefaults()
	site := "http://127.0.0.1:8065"
	cfg.ServiceSettings.SiteURL = &site
	api.On("GetConfig").Return(cfg).Once()

	w := serve(p, http.MethodPost, "/tour", []byte(`{"team":"core","channel":"town","username":"alex"}`),
		map[string]string{"Mattermost-User-Id": "u1", "Content-Type": "application/json"})
	require.Equal(t, 200, w.Code, w.Body.String())
	got := decodeJSON(t, w.Body.Bytes())
	assert.Equal(t, "bot1", got["bot_id"])
	assert.Equal(t, "core", got["team"])
	assert.Equal(t, "O", got["channel_type"])
	assert.Equal(t, "P", got["private_type"])
	assert.Equal(t, "u1", got["member"])
	assert.Equal(t, map[string]any{"n": float64(1)}, got["root_props"])
	assert.Equal(t, "root edited", got["updated"])
	assert.ElementsMatch(t, []any{"root", "reply"}, got["thread"])
	assert.Equal(t, "only you", got["ephemeral"])
	assert.Equal(t, []any{true, false, true, []any{"claim:x", "lock:x"}}, got["kv"])
	assert.Equal(t, []any{"alex"}, got["users"])
	assert.Equal(t, "me", got["me"])
	assert.Equal(t, false, got["admin"])
	assert.Equal(t, true, got["read"])
	assert.Equal(t, "11.4.0", got["version"])
	assert.Equal(t, site, got["site_url"])
	assert.Eventually(t, func() bool { return api.logged("tour done") }, 3*time.Second, 20*time.Millisecond,
		"the Python side's log API calls reach the server log")
	api.AssertExpectations(t)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
