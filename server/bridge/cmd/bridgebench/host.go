package main

// "host" mode: the server's own plugin host (plugin.Environment from server/public: supervisor,
// go-plugin, net/rpc) runs this binary as the bridge plugin executable, like a stock server does,
// so the figures include the net/rpc hop the bridge adds between server and Python.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/shared/mlog"
)

// targetAPI is memAPI plus capture of the bridge's "api_target" log field.
type targetAPI struct {
	*memAPI
	bundle string
	mu     sync.Mutex
	target string
}

func (a *targetAPI) GetBundlePath() (string, error) { return a.bundle, nil }

func (a *targetAPI) LogInfo(msg string, kv ...any) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "api_target" {
			a.mu.Lock()
			a.target = fmt.Sprint(kv[i+1])
			a.mu.Unlock()
		}
	}
}

// makeBundle lays out a bundle dir for the Python plugin in dir, with this binary as executable.
func makeBundle(pluginDir string) (pluginsDir, bundle, id string, err error) {
	raw, err := os.ReadFile(filepath.Join(pluginDir, "plugin.json"))
	if err != nil {
		return "", "", "", err
	}
	manifest := map[string]any{}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return "", "", "", err
	}
	id, _ = manifest["id"].(string)
	platform := runtime.GOOS + "-" + runtime.GOARCH
	manifest["server"] = map[string]any{"executables": map[string]any{platform: "server/dist/plugin-" + platform}}
	delete(manifest, "min_server_version")
	if pluginsDir, err = os.MkdirTemp("", "bridgebench-"); err != nil {
		return "", "", "", err
	}
	bundle = filepath.Join(pluginsDir, id)
	if err := os.MkdirAll(filepath.Join(bundle, "server", "dist"), 0o755); err != nil {
		return "", "", "", err
	}
	out, _ := json.Marshal(manifest)
	if err := os.WriteFile(filepath.Join(bundle, "plugin.json"), out, 0o644); err != nil {
		return "", "", "", err
	}
	script, err := os.ReadFile(filepath.Join(pluginDir, "plugin.py"))
	if err != nil {
		return "", "", "", err
	}
	if err := os.WriteFile(filepath.Join(bundle, "server", "plugin.py"), script, 0o755); err != nil {
		return "", "", "", err
	}
	self, err := os.Executable()
	if err != nil {
		return "", "", "", err
	}
	return pluginsDir, bundle, id, os.Symlink(self, filepath.Join(bundle, "server", "dist", "plugin-"+platform))
}

func benchHost(python, pluginDir string, cold, n, warmup int) error {
	pluginsDir, bundle, id, err := makeBundle(pluginDir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(pluginsDir)
	webapps, err := os.MkdirTemp("", "bridgebench-webapp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(webapps)
	_ = os.Setenv("BRIDGE_AS_PLUGIN", "1")
	_ = os.Setenv("MM_COMMUNITY_ESCALATIONS_PYTHON", python)
	api := &targetAPI{memAPI: newMemAPI(), bundle: bundle}
	logger, err := mlog.NewLogger()
	if err != nil {
		return err
	}
	env, err := plugin.NewEnvironment(func(*model.Manifest) plugin.API { return api }, nil, pluginsDir, webapps, logger, nil)
	if err != nil {
		return err
	}
	defer env.Shutdown()

	var starts []time.Duration
	for i := 0; i <= cold; i++ {
		t0 := time.Now()
		if _, _, err := env.Activate(id); err != nil {
			return err
		}
		if i == cold { // the last one stays up for the request figures
			break
		}
		starts = append(starts, time.Since(t0))
		env.Deactivate(id)
	}
	hooks, err := env.HooksForPlugin(id)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"topic": "licensing", "note": string(bytes.Repeat([]byte("x"), 40))})
	one := func() (time.Duration, error) {
		r := httptest.NewRequest(http.MethodPost, "/echo", bytes.NewReader(body))
		r.Header.Set("Mattermost-User-Id", "benchuser0000000000000000a")
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		t0 := time.Now()
		hooks.ServeHTTP(&plugin.Context{}, w, r)
		d := time.Since(t0)
		if w.Code != http.StatusOK {
			return d, fmt.Errorf("unexpected answer %d: %s", w.Code, w.Body.String())
		}
		return d, nil
	}
	for range warmup {
		if _, err := one(); err != nil {
			return err
		}
	}
	samples := make([]time.Duration, 0, n)
	for range n {
		d, err := one()
		if err != nil {
			return err
		}
		samples = append(samples, d)
	}
	api.mu.Lock()
	target := api.target
	api.mu.Unlock()
	// One JSON line, then stay up (API target usable) until the driver closes stdin.
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{
		"cold_start": summarize(starts), "serve_http": summarize(samples), "api_target": target,
	}); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	env.Deactivate(id)
	return nil
}
