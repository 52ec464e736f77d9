package bridge

// The bridge as the Mattermost server really runs it: a plugin.Environment (the server's own
// plugin host from server/public: supervisor, go-plugin, net/rpc API and hooks) starts the bridge
// executable -- this test binary in BRIDGE_AS_PLUGIN mode -- from a bundle directory whose
// manifest lists it in server.executables, and the bridge starts the runtime's Python fixture.
// Covers what the in-process tests cannot: the go-plugin handshake, gob encoding of hook and API
// arguments, OnConfigurationChange before OnActivate, the RPC response writer.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/mattermost/mattermost/server/public/shared/mlog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
)

// bridgeBundle lays out a plugin bundle: manifest, the bridge executable, the Python entry script.
func bridgeBundle(t *testing.T, root string) (pluginsDir, bundle, id string) {
	t.Helper()
	fixture := filepath.Join(root, "tests", "runtime", "fixtures", "sample_plugin")
	raw, err := os.ReadFile(filepath.Join(fixture, "plugin.json"))
	require.NoError(t, err)
	manifest := map[string]any{}
	require.NoError(t, json.Unmarshal(raw, &manifest))
	id = manifest["id"].(string)
	platform := runtime.GOOS + "-" + runtime.GOARCH
	manifest["server"] = map[string]any{"executables": map[string]any{platform: "server/dist/plugin-" + platform}}
	delete(manifest, "min_server_version")

	pluginsDir = t.TempDir()
	bundle = filepath.Join(pluginsDir, id)
	require.NoError(t, os.MkdirAll(filepath.Join(bundle, "server", "dist"), 0o755))
	out, err := json.Marshal(manifest)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(bundle, "plugin.json"), out, 0o644))
	script, err := os.ReadFile(filepath.Join(fixture, "plugin.py"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(bundle, EntryScript), script, 0o755))
	self, err := os.Executable()
	require.NoError(t, err)
	require.NoError(t, os.Symlink(self, filepath.Join(bundle, "server", "dist", "plugin-"+platform)))
	return pluginsDir, bundle, id
}

func TestBridgeUnderPluginEnvironment(t *testing.T) {
	root := repoRoot(t)
	python := filepath.Join(root, ".venv", "bin", "python")
	_, err := os.Stat(python)
	require.NoError(t, err, "the project virtualenv is missing: run `make setup`")
	t.Setenv("BRIDGE_AS_PLUGIN", "1")
	t.Setenv(PythonEnv, python)
	// The fixture imports the runtime from the repository (the venv has it installed editable).
	t.Setenv("PYTHONPATH", filepath.Join(root, "server"))
	pluginsDir, bundle, id := bridgeBundle(t, root)

	api := &testAPI{API: &plugintest.API{}}
	api.On("GetBundlePath").Return(bundle, nil).Once()
	api.On("GetPluginConfig").Return(map[string]any{"Greeting": "hi", "Limit": float64(5)}).Once()
	api.On("RegisterCommand", mock.MatchedBy(func(c *model.Command) bool { return c.Trigger == "fixture" })).Return(nil).Once()

	env, err := plugin.NewEnvironment(func(*model.Manifest) plugin.API { return api }, nil, pluginsDir, t.TempDir(), mlog.CreateConsoleTestLogger(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		env.Shutdown()
		if t.Failed() {
			t.Logf("plugin API log:\n%s", api.dump())
		}
	})

	start := time.Now()
	_, activated, err := env.Activate(id)
	require.NoError(t, err)
	require.True(t, activated)
	t.Logf("activated through go-plugin + bridge + python in %s", time.Since(start))
	hooks, err := env.HooksForPlugin(id)
	require.NoError(t, err)

	// ServeHTTP over the server's RPC response writer and request-body stream.
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/config", nil)
	hooks.ServeHTTP(&plugin.Context{}, w, r)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, map[string]any{"Greeting": "hi", "Limit": float64(5)}, decodeJSON(t, w.Body.Bytes()))

	body := make([]byte, 48<<10)
	w = httptest.NewRecorder()
	r = httptest.NewRequest(http.MethodPost, "/echo", bytesReader(body))
	r.Header.Set("Mattermost-User-Id", "user-9")
	hooks.ServeHTTP(&plugin.Context{SessionId: "s"}, w, r)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, map[string]any{"user_id": "user-9", "len": float64(len(body))}, decodeJSON(t, w.Body.Bytes()))

	resp, appErr := hooks.ExecuteCommand(&plugin.Context{}, &model.CommandArgs{UserId: "user-9", Command: "/fixture run"})
	require.Nil(t, appErr)
	assert.Equal(t, "fixture ran '/fixture run' for user-9", resp.Text)

	hooks.MessageHasBeenPosted(&plugin.Context{}, &model.Post{Id: "p", Message: "posted through rpc"})
	w = httptest.NewRecorder()
	hooks.ServeHTTP(&plugin.Context{}, w, httptest.NewRequest(http.MethodGet, "/posted", nil))
	assert.JSONEq(t, `["posted through rpc"]`, w.Body.String())

	api.On("KVGet", "k").Return(nil, model.NewAppError("KVGet", "kv.broken", nil, "", 500)).Once()
	w = httptest.NewRecorder()
	hooks.ServeHTTP(&plugin.Context{}, w, httptest.NewRequest(http.MethodGet, "/kv/k", nil))
	assert.Equal(t, "kv.broken", decodeJSON(t, w.Body.Bytes())["error_id"], "AppError crosses net/rpc and gRPC")

	m := regexp.MustCompile(`python backend started pid (\d+)`).FindStringSubmatch(api.dump())
	require.NotNil(t, m, "the bridge logged the python pid")
	pid, _ := strconv.Atoi(m[1])
	require.False(t, processGone(pid))

	require.True(t, env.Deactivate(id))
	assert.Eventually(t, func() bool { return processGone(pid) }, 10*time.Second, 20*time.Millisecond,
		"python process gone after the server deactivates the plugin")
	api.AssertExpectations(t)
}
