package bridge

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testAPI is the plugin test kit's API mock with the Log* methods recorded instead of mocked
// (the bridge and the backend log freely; tests look for lines).
type testAPI struct {
	*plugintest.API
	mu    sync.Mutex
	lines []string
}

func (a *testAPI) record(level, msg string, kv ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lines = append(a.lines, level+" "+msg+" "+strings.ReplaceAll(strings.TrimSpace(fmt.Sprintln(kv...)), "\n", " | "))
}

func (a *testAPI) LogDebug(msg string, kv ...any) { a.record("debug", msg, kv...) }
func (a *testAPI) LogInfo(msg string, kv ...any)  { a.record("info", msg, kv...) }
func (a *testAPI) LogWarn(msg string, kv ...any)  { a.record("warn", msg, kv...) }
func (a *testAPI) LogError(msg string, kv ...any) { a.record("error", msg, kv...) }

// logged reports whether some log line contains all parts.
func (a *testAPI) logged(parts ...string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range a.lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func (a *testAPI) dump() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.lines, "\n")
}

// newFakePlugin returns a bridge plugin whose backend is this test binary in the given mode.
func newFakePlugin(t *testing.T, mode string) (*Plugin, *testAPI) {
	t.Helper()
	t.Setenv("FAKE_BACKEND", mode)
	self, err := os.Executable()
	require.NoError(t, err)
	api := &testAPI{API: &plugintest.API{}}
	p := &Plugin{
		Python: self, Script: self, BundleDir: t.TempDir(),
		HandshakeTimeout: 5 * time.Second, StopGrace: 2 * time.Second,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond,
	}
	p.SetAPI(api)
	t.Cleanup(func() {
		_ = p.OnDeactivate() // idempotent; ends any backend left by a failing test
		if t.Failed() {
			t.Logf("server log:\n%s", api.dump())
		}
	})
	return p, api
}

// processGone reports whether pid no longer exists (reaped, not a zombie).
func processGone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

func serve(p *Plugin, method, path string, body []byte, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(&plugin.Context{SessionId: "sess1"}, w, r)
	return w
}

func TestLifecycleAndHookForwarding(t *testing.T) {
	p, api := newFakePlugin(t, "ok")
	api.On("KVGet", "activate").Return(nil, nil).Once()

	// The Go RPC shim calls OnConfigurationChange before OnActivate; native Python gets no such
	// call, so the bridge must drop it (no KVSet "config" expected here).
	require.NoError(t, p.OnConfigurationChange())

	require.NoError(t, p.OnActivate())
	sess := p.current()
	require.NotNil(t, sess)
	pid := sess.proc.Pid()
	assert.True(t, api.logged("python backend started"))
	assert.Eventually(t, func() bool { return api.logged("fake backend listening", "source python") }, 2*time.Second, 20*time.Millisecond,
		"python stderr lines reach the server log")

	api.On("KVSet", "config", []byte("changed")).Return(nil).Once()
	require.NoError(t, p.OnConfigurationChange())

	resp, appErr := p.ExecuteCommand(&plugin.Context{SessionId: "s9"}, &model.CommandArgs{UserId: "u1", ChannelId: "c1", Command: "/escalation help"})
	require.Nil(t, appErr)
	assert.Equal(t, "ephemeral", resp.ResponseType)
	assert.Equal(t, `ran "/escalation help" for u1 in c1 (session s9)`, resp.Text)

	_, appErr = p.ExecuteCommand(&plugin.Context{}, &model.CommandArgs{Command: "/escalation fail"})
	require.NotNil(t, appErr)
	assert.Equal(t, "fake.command", appErr.Id)
	assert.Equal(t, "no such topic", appErr.Message)
	assert.Equal(t, 400, appErr.StatusCode)

	_, appErr = p.ExecuteCommand(&plugin.Context{}, &model.CommandArgs{Command: "/escalation grpcerror"})
	require.NotNil(t, appErr)
	assert.Equal(t, "plugin.grpc.execute_command.error", appErr.Id)
	assert.Equal(t, 500, appErr.StatusCode)

	posted := &model.Post{Id: "p1", Message: "hello"}
	posted.AddProp("attachments", []any{map[string]any{"text": "x"}})
	api.On("KVSet", "posted", []byte("hello|props:none")).Return(nil).Once()
	p.MessageHasBeenPosted(&plugin.Context{}, posted)

	// UserHasJoinedChannel: the member and who added them (nobody when they joined by themselves).
	api.On("KVSet", "joined", []byte("c1|u1|admin1")).Return(nil).Once()
	p.UserHasJoinedChannel(&plugin.Context{}, &model.ChannelMember{ChannelId: "c1", UserId: "u1"}, &model.User{Id: "admin1"})
	api.On("KVSet", "joined", []byte("c1|u2|self")).Return(nil).Once()
	p.UserHasJoinedChannel(&plugin.Context{}, &model.ChannelMember{ChannelId: "c1", UserId: "u2"}, nil)

	// ServeHTTP: 200 KiB in, streamed in 64 KiB chunks, echoed back with status and headers intact.
	body := bytes.Repeat([]byte("0123456789abcdef"), 200<<10/16)
	w := serve(p, http.MethodPost, "/api/v1/echo?x=1", body, map[string]string{"Mattermost-User-Id": "user42"})
	assert.Equal(t, 201, w.Code)
	assert.Equal(t, body, w.Body.Bytes())
	assert.Equal(t, "user42", w.Header().Get("X-Echo-User"))
	assert.Equal(t, "/api/v1/echo?x=1", w.Header().Get("X-Echo-Url"))
	assert.Equal(t, "POST", w.Header().Get("X-Echo-Method"))
	assert.Equal(t, "sess1", w.Header().Get("X-Echo-Session"))
	assert.Equal(t, "4", w.Header().Get("X-Echo-Msgs"), "200 KiB = init+64 KiB, 64, 64, 8 (complete)")
	assert.Equal(t, []string{"1", "2"}, w.Header().Values("X-Multi"))

	w = serve(p, http.MethodGet, "/echo", nil, nil)
	assert.Equal(t, 201, w.Code)
	assert.Equal(t, "1", w.Header().Get("X-Echo-Msgs"), "a body-less request is one message")
	assert.Equal(t, "", w.Header().Get("X-Echo-User"), "no user header unless the server set one")

	w = serve(p, http.MethodGet, "/flush", nil, nil)
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, "abc", w.Body.String())
	assert.True(t, w.Flushed)

	w = serve(p, http.MethodGet, "/noinit", nil, nil)
	assert.Equal(t, http.StatusInternalServerError, w.Code)

	api.On("KVSet", "deactivated", []byte("yes")).Return(nil).Once()
	require.NoError(t, p.OnDeactivate())
	assert.True(t, processGone(pid), "backend process must be gone and reaped after OnDeactivate")
	assert.Nil(t, p.current())
	w = serve(p, http.MethodGet, "/echo", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	api.AssertExpectations(t)
}

func TestActivationFailsWithBackendError(t *testing.T) {
	p, api := newFakePlugin(t, "fail_activate")
	api.On("KVGet", "activate").Return(nil, nil).Once()
	err := p.OnActivate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fake refuses to activate")
	assert.Nil(t, p.current())
}

func TestActivationFailsWhenBackendCrashes(t *testing.T) {
	p, _ := newFakePlugin(t, "crash")
	err := p.OnActivate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited before its handshake")
	assert.Contains(t, err.Error(), "exit status 3")
	assert.Contains(t, err.Error(), "No module named 'grpc'", "the last stderr lines are quoted")
}

func TestActivationFailsWithoutHandshake(t *testing.T) {
	p, _ := newFakePlugin(t, "silent")
	p.HandshakeTimeout = 300 * time.Millisecond
	start := time.Now()
	err := p.OnActivate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no handshake within 300ms")
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestActivationRejectsNonGRPCHandshake(t *testing.T) {
	p, _ := newFakePlugin(t, "netrpc")
	err := p.OnActivate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `speaks "netrpc"`)
}

func TestActivationFailsWithMissingInterpreter(t *testing.T) {
	p, _ := newFakePlugin(t, "ok")
	p.Python = filepath.Join(t.TempDir(), "no-such-python")
	err := p.OnActivate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot start")
}

func TestRestartAfterCrash(t *testing.T) {
	p, api := newFakePlugin(t, "die_once")
	t.Setenv("FAKE_MARKER", filepath.Join(t.TempDir(), "died"))
	api.On("KVGet", "activate").Return(nil, nil).Twice()
	require.NoError(t, p.OnActivate())
	first := p.current().proc.Pid()

	require.Eventually(t, func() bool {
		s := p.current()
		return s != nil && s.proc.Pid() != first
	}, 10*time.Second, 20*time.Millisecond, "backend restarted")
	assert.True(t, processGone(first), "the crashed process was reaped")
	assert.True(t, api.logged("python backend exited unexpectedly", "exit status 7", "simulated crash"), "exit and stderr tail logged")
	assert.True(t, api.logged("python backend restarted"))

	w := serve(p, http.MethodGet, "/echo", nil, nil)
	assert.Equal(t, 201, w.Code)
	api.On("KVSet", "deactivated", []byte("yes")).Return(nil).Once()
	second := p.current().proc.Pid()
	require.NoError(t, p.OnDeactivate())
	assert.True(t, processGone(second))
	api.AssertExpectations(t)
}

func TestGivesUpAfterRepeatedRestartFailures(t *testing.T) {
	p, api := newFakePlugin(t, "die_then_crash")
	t.Setenv("FAKE_MARKER", filepath.Join(t.TempDir(), "died"))
	p.MaxRestartFailures = 3
	exited := make(chan int, 1)
	p.Exit = func(code int) { exited <- code }
	api.On("KVGet", "activate").Return(nil, nil).Once()
	require.NoError(t, p.OnActivate())

	select {
	case code := <-exited:
		assert.Equal(t, 1, code)
	case <-time.After(20 * time.Second):
		t.Fatal("the bridge did not give up")
	}
	assert.True(t, api.logged("python backend restart failed", "cannot start again"))
	assert.True(t, api.logged("giving up", "attempts 3"))
	assert.Nil(t, p.current())
	w := serve(p, http.MethodGet, "/echo", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
}

func TestHooksNotImplementedByBackend(t *testing.T) {
	p, api := newFakePlugin(t, "ok")
	t.Setenv("FAKE_HOOKS", "ServeHTTP,UserHasJoinedChannel")
	require.NoError(t, p.OnActivate(), "OnActivate not listed: not called, activation succeeds")
	assert.True(t, api.logged("does not forward", "UserHasJoinedChannel"))
	require.NoError(t, p.OnConfigurationChange())
	_, appErr := p.ExecuteCommand(&plugin.Context{}, &model.CommandArgs{Command: "/x"})
	require.NotNil(t, appErr)
	assert.Equal(t, 501, appErr.StatusCode)
	p.MessageHasBeenPosted(&plugin.Context{}, &model.Post{Message: "m"})
	require.NoError(t, p.OnDeactivate(), "OnDeactivate not listed: not called")
	api.AssertExpectations(t) // no API calls at all
}

func TestParseHandshake(t *testing.T) {
	h, err := ParseHandshake("1|1|tcp|127.0.0.1:4242|grpc\n")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:4242", h.Addr)
	for _, bad := range []string{"", "hello", "2|1|tcp|a:1|grpc", "1|2|tcp|a:1|grpc", "1|1|udp|a:1|grpc", "1|1|tcp||grpc", "1|1|tcp|a:1"} {
		_, err := ParseHandshake(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestStderrLevels(t *testing.T) {
	cases := map[string]string{
		"[ERROR] boom":                       "error",
		"Traceback (most recent call last):": "error",
		"[WARN] careful":                     "warn",
		"2026-01-01 WARNING escalations: x":  "warn",
		"[DEBUG] detail":                     "debug",
		"[INFO] started":                     "info",
		"plain line":                         "info",
		"[INFO] a message mentioning ERROR late in a very long line ...": "info",
	}
	for line, want := range cases {
		assert.Equal(t, want, levelOf(line), line)
	}
	assert.Equal(t, "boom", stripLevel("[ERROR] boom"))
	assert.Equal(t, "started", stripLevel("[info]   started"))
	assert.Equal(t, "[x] stays", stripLevel("[x] stays"))
	assert.Equal(t, "plain line", stripLevel("plain line"))
}

func TestResolvePython(t *testing.T) {
	bundle := t.TempDir()
	p := &Plugin{}
	t.Setenv(PythonEnv, "")
	got, err := p.resolvePython(bundle)
	require.NoError(t, err, "python3 from PATH")
	assert.True(t, strings.HasPrefix(filepath.Base(got), "python"), got)

	venv := filepath.Join(bundle, ".venv", "bin")
	require.NoError(t, os.MkdirAll(venv, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(venv, "python3"), nil, 0o755))
	got, err = p.resolvePython(bundle)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(venv, "python3"), got, "a bundled venv wins over PATH, as in native support")

	t.Setenv(PythonEnv, "/opt/py/bin/python3.12")
	got, err = p.resolvePython(bundle)
	require.NoError(t, err)
	assert.Equal(t, "/opt/py/bin/python3.12", got, "the environment knob wins")

	p.Python = "/explicit"
	got, _ = p.resolvePython(bundle)
	assert.Equal(t, "/explicit", got)

	t.Setenv(PythonEnv, "")
	t.Setenv("PATH", t.TempDir())
	_, err = (&Plugin{}).resolvePython(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), PythonEnv)
}

func TestActivationFailsWithoutEntryScript(t *testing.T) {
	p, _ := newFakePlugin(t, "ok")
	p.Script = "server/plugin.py" // relative to an empty bundle dir
	err := p.OnActivate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "entry script missing")
}
