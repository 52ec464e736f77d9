// Command bridgebench measures the bridge's own cost; tests/bench/bench_bridge.py drives it and
// prints the figures next to the runtime's native ones (bench_runtime.py measures the same things
// through the host emulator).
//
//	bridgebench serve-api
//	    Serves the bridge's PluginAPI over an in-memory plugin.API and prints "API_TARGET=<addr>";
//	    runs until stdin closes. The Python bench times PluginAPIClient calls against it.
//	bridgebench http -python P -plugin-dir D [-cold 5] [-n 1000] [-warmup 50]
//	    Activates the bridge in process on a Python plugin directory (cold starts), then times
//	    ServeHTTP round trips of a small authenticated JSON POST /echo and prints JSON with the
//	    samples' percentiles (microseconds). No net/rpc hop: the bridge's own cost.
//	bridgebench host -python P -plugin-dir D [...same flags]
//	    The same through the server's plugin host (plugin.Environment: supervisor, go-plugin,
//	    net/rpc), with this binary as the bridge executable; also prints the bridge's API target
//	    and stays up until stdin closes, so the driver can time API calls through net/rpc too.
//
// The in-memory plugin.API stands in for the server's API implementation.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"

	"community-escalations/bridge/internal/apiserver"
	"community-escalations/bridge/internal/bridge"
)

// memAPI is a minimal in-memory plugin.API: the methods the fixture plugin and the bench use.
// Any other method panics through the nil embedded interface.
type memAPI struct {
	plugin.API
	mu sync.Mutex
	kv map[string][]byte
}

func newMemAPI() *memAPI { return &memAPI{kv: map[string][]byte{}} }

func (m *memAPI) KVGet(key string) ([]byte, *model.AppError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kv[key], nil
}

func (m *memAPI) KVSet(key string, value []byte) *model.AppError {
	m.mu.Lock()
	defer m.mu.Unlock()
	if value == nil {
		delete(m.kv, key)
	} else {
		m.kv[key] = value
	}
	return nil
}

func (m *memAPI) GetUser(id string) (*model.User, *model.AppError) {
	return &model.User{Id: id, Username: "bench", Roles: "system_user", Locale: "en"}, nil
}
func (m *memAPI) GetPluginConfig() map[string]any      { return map[string]any{"Greeting": "hi"} }
func (m *memAPI) RegisterCommand(*model.Command) error { return nil }
func (m *memAPI) GetBundlePath() (string, error)       { return "", nil }
func (m *memAPI) GetServerVersion() string             { return "bench" }
func (m *memAPI) LogDebug(string, ...any)              {}
func (m *memAPI) LogInfo(string, ...any)               {}
func (m *memAPI) LogWarn(string, ...any)               {}
func (m *memAPI) LogError(string, ...any)              {}

func serveAPI() error {
	srv, err := apiserver.Listen(&apiserver.Service{API: newMemAPI()})
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Printf("API_TARGET=%s\n", srv.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the driver closes stdin
	return nil
}

type summary struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50_us"`
	P99  float64 `json:"p99_us"`
	Min  float64 `json:"min_us"`
	Max  float64 `json:"max_us"`
	Mean float64 `json:"mean_us"`
}

func summarize(samples []time.Duration) summary {
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
	var total time.Duration
	for _, s := range samples {
		total += s
	}
	pct := func(q float64) time.Duration { return samples[min(len(samples)-1, int(q*float64(len(samples))))] }
	return summary{
		N: len(samples), P50: us(pct(0.5)), P99: us(pct(0.99)), Min: us(samples[0]),
		Max: us(samples[len(samples)-1]), Mean: us(total / time.Duration(len(samples))),
	}
}

func newPlugin(python, dir string) *bridge.Plugin {
	p := &bridge.Plugin{Python: python, Script: "plugin.py", BundleDir: dir}
	p.SetAPI(newMemAPI())
	return p
}

func benchHTTP(python, dir string, cold, n, warmup int) error {
	var starts []time.Duration
	for range cold {
		p := newPlugin(python, dir)
		t0 := time.Now()
		if err := p.OnActivate(); err != nil {
			return err
		}
		starts = append(starts, time.Since(t0))
		if err := p.OnDeactivate(); err != nil {
			return err
		}
	}

	p := newPlugin(python, dir)
	if err := p.OnActivate(); err != nil {
		return err
	}
	defer func() { _ = p.OnDeactivate() }()
	body, _ := json.Marshal(map[string]any{"topic": "licensing", "note": string(bytes.Repeat([]byte("x"), 40))})
	one := func() (time.Duration, error) {
		r := httptest.NewRequest(http.MethodPost, "/echo", bytes.NewReader(body))
		r.Header.Set("Mattermost-User-Id", "benchuser0000000000000000a")
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		t0 := time.Now()
		p.ServeHTTP(&plugin.Context{}, w, r)
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
	return json.NewEncoder(os.Stdout).Encode(map[string]summary{
		"cold_start": summarize(starts), "serve_http": summarize(samples),
	})
}

func main() {
	if os.Getenv("BRIDGE_AS_PLUGIN") == "1" { // started by plugin.Environment in host mode
		plugin.ClientMain(bridge.New())
		return
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bridgebench serve-api | {http|host} -python P -plugin-dir D [-cold N] [-n N] [-warmup N]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve-api":
		err = serveAPI()
	case "http", "host":
		fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
		python := fs.String("python", "python3", "interpreter")
		dir := fs.String("plugin-dir", "", "Python plugin directory (plugin.json + plugin.py)")
		cold := fs.Int("cold", 5, "cold starts to time")
		n := fs.Int("n", 1000, "timed requests")
		warmup := fs.Int("warmup", 50, "untimed requests first")
		_ = fs.Parse(os.Args[2:])
		if os.Args[1] == "host" {
			err = benchHost(*python, *dir, *cold, *n, *warmup)
		} else {
			err = benchHTTP(*python, *dir, *cold, *n, *warmup)
		}
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bridgebench:", err)
		os.Exit(1)
	}
}
