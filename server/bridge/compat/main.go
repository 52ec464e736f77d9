// Command compat runs the built bridge executable under the plugin host of an older Mattermost
// server: plugin.Environment (supervisor, go-plugin, net/rpc hooks and API) from the
// server/public version pinned in this module's go.mod, which is the code a server of that
// release runs to host Go plugins. It checks what a stock server of that release would exercise
// between itself and the bridge: the handshake, OnConfigurationChange+OnActivate, ServeHTTP over
// the RPC response writer, ExecuteCommand, MessageHasBeenPosted, the API calls of each family the
// product uses (the runtime fixture's /tour route), error conventions, and deactivation.
//
// It does not replace a run of the real server of that release (the app layer above the plugin
// host is not exercised). Usage (see the bridge Makefile's `compat` target):
//
//	go run . -binary ../dist/plugin-linux-amd64 -fixture <repo>/tests/runtime/fixtures/sample_plugin -python <python>
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/shared/mlog"
)

// memAPI is an in-memory plugin.API with the methods the fixture uses; others panic.
type memAPI struct {
	plugin.API
	bundle string
	mu     sync.Mutex
	kv     map[string][]byte
	posts  map[string]*model.Post
	logs   []string
	seq    int
}

func (m *memAPI) log(level, msg string, kv ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.logs = append(m.logs, level+" "+msg+" "+strings.TrimSpace(fmt.Sprintln(kv...)))
}
func (m *memAPI) LogDebug(msg string, kv ...any) { m.log("debug", msg, kv...) }
func (m *memAPI) LogInfo(msg string, kv ...any)  { m.log("info", msg, kv...) }
func (m *memAPI) LogWarn(msg string, kv ...any)  { m.log("warn", msg, kv...) }
func (m *memAPI) LogError(msg string, kv ...any) { m.log("error", msg, kv...) }

func (m *memAPI) GetBundlePath() (string, error)         { return m.bundle, nil }
func (m *memAPI) GetPluginConfig() map[string]any        { return map[string]any{"Greeting": "compat"} }
func (m *memAPI) RegisterCommand(c *model.Command) error { return nil }
func (m *memAPI) GetServerVersion() string               { return model.CurrentVersion }
func (m *memAPI) GetConfig() *model.Config {
	c := &model.Config{}
	c.SetDefaults()
	site := "http://compat.example"
	c.ServiceSettings.SiteURL = &site
	return c
}

func (m *memAPI) KVGet(key string) ([]byte, *model.AppError) {
	if key == "broken" {
		return nil, model.NewAppError("KVGet", "compat.kv.broken", nil, "", 500)
	}
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
func (m *memAPI) KVSetWithExpiry(key string, value []byte, _ int64) *model.AppError {
	return m.KVSet(key, value)
}
func (m *memAPI) KVSetWithOptions(key string, value []byte, o model.PluginKVSetOptions) (bool, *model.AppError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, exists := m.kv[key]
	if o.Atomic && ((o.OldValue == nil && exists) || (o.OldValue != nil && !bytes.Equal(cur, o.OldValue))) {
		return false, nil
	}
	if value == nil {
		delete(m.kv, key)
	} else {
		m.kv[key] = value
	}
	return true, nil
}
func (m *memAPI) KVCompareAndSet(key string, old, new []byte) (bool, *model.AppError) {
	return m.KVSetWithOptions(key, new, model.PluginKVSetOptions{Atomic: true, OldValue: old})
}
func (m *memAPI) KVList(page, perPage int) ([]string, *model.AppError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.kv))
	for k := range m.kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

func (m *memAPI) EnsureBotUser(*model.Bot) (string, error) { return "compatbot", nil }
func (m *memAPI) GetTeamByName(name string) (*model.Team, *model.AppError) {
	return &model.Team{Id: "team1", Name: name, Type: model.TeamInvite}, nil
}
func (m *memAPI) GetChannelByNameForTeamName(team, name string, _ bool) (*model.Channel, *model.AppError) {
	return &model.Channel{Id: "chan1", TeamId: "team1", Name: name, Type: model.ChannelTypeOpen}, nil
}
func (m *memAPI) CreateChannel(c *model.Channel) (*model.Channel, *model.AppError) {
	out := *c
	out.Id = "chan2"
	return &out, nil
}
func (m *memAPI) AddChannelMember(c, u string) (*model.ChannelMember, *model.AppError) {
	return &model.ChannelMember{ChannelId: c, UserId: u}, nil
}
func (m *memAPI) GetChannelMember(c, u string) (*model.ChannelMember, *model.AppError) {
	return &model.ChannelMember{ChannelId: c, UserId: u}, nil
}
func (m *memAPI) CreatePost(p *model.Post) (*model.Post, *model.AppError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	out := p.Clone()
	out.Id = "post" + strconv.Itoa(m.seq)
	out.CreateAt = int64(m.seq)
	m.posts[out.Id] = out
	return out, nil
}
func (m *memAPI) GetPost(id string) (*model.Post, *model.AppError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.posts[id]; ok {
		return p.Clone(), nil
	}
	return nil, model.NewAppError("GetPost", "app.post.get.app_error", nil, "", http.StatusNotFound)
}
func (m *memAPI) UpdatePost(p *model.Post) (*model.Post, *model.AppError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.posts[p.Id] = p.Clone()
	return p, nil
}
func (m *memAPI) GetPostThread(id string) (*model.PostList, *model.AppError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := model.NewPostList()
	for _, p := range m.posts {
		l.AddPost(p)
		l.AddOrder(p.Id)
	}
	return l, nil
}
func (m *memAPI) SendEphemeralPost(_ string, p *model.Post) *model.Post                   { return p }
func (m *memAPI) PublishWebSocketEvent(string, map[string]any, *model.WebsocketBroadcast) {}
func (m *memAPI) GetUsersByUsernames(names []string) ([]*model.User, *model.AppError) {
	out := []*model.User{}
	for _, n := range names {
		out = append(out, &model.User{Id: "id-" + n, Username: n})
	}
	return out, nil
}
func (m *memAPI) GetUser(id string) (*model.User, *model.AppError) {
	return &model.User{Id: id, Username: "compat-user"}, nil
}
func (m *memAPI) GetUserByUsername(name string) (*model.User, *model.AppError) {
	return nil, model.NewAppError("GetUserByUsername", "app.user.missing_account.const", nil, "", http.StatusNotFound)
}
func (m *memAPI) HasPermissionTo(string, *model.Permission) bool                { return true }
func (m *memAPI) HasPermissionToChannel(string, string, *model.Permission) bool { return true }

var failures int

func check(ok bool, what string, detail ...any) {
	if ok {
		fmt.Printf("ok    %s\n", what)
		return
	}
	failures++
	fmt.Printf("FAIL  %s %v\n", what, detail)
}

func serve(hooks plugin.Hooks, method, path, user string, body []byte) (int, map[string]any, string) {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if user != "" {
		r.Header.Set("Mattermost-User-Id", user)
	}
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	hooks.ServeHTTP(&plugin.Context{SessionId: "compat"}, w, r)
	out := map[string]any{}
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out, w.Body.String()
}

func run(binary, fixture string) error {
	raw, err := os.ReadFile(filepath.Join(fixture, "plugin.json"))
	if err != nil {
		return err
	}
	manifest := map[string]any{}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return err
	}
	id := manifest["id"].(string)
	platform := runtime.GOOS + "-" + runtime.GOARCH
	manifest["server"] = map[string]any{"executables": map[string]any{platform: "server/dist/plugin-" + platform}}
	delete(manifest, "min_server_version")
	pluginsDir, err := os.MkdirTemp("", "bridge-compat-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(pluginsDir)
	bundle := filepath.Join(pluginsDir, id)
	exe := filepath.Join(bundle, "server", "dist", "plugin-"+platform)
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		return err
	}
	mf, _ := json.Marshal(manifest)
	if err := os.WriteFile(filepath.Join(bundle, "plugin.json"), mf, 0o644); err != nil {
		return err
	}
	script, err := os.ReadFile(filepath.Join(fixture, "plugin.py"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bundle, "server", "plugin.py"), script, 0o755); err != nil {
		return err
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		return err
	}

	api := &memAPI{bundle: bundle, kv: map[string][]byte{}, posts: map[string]*model.Post{}}
	logger, err := mlog.NewLogger()
	if err != nil {
		return err
	}
	env, err := plugin.NewEnvironment(func(*model.Manifest) plugin.API { return api }, nil, pluginsDir, filepath.Join(pluginsDir, ".webapp"), logger, nil)
	if err != nil {
		return err
	}
	defer env.Shutdown()
	fmt.Printf("plugin host: server/public for Mattermost %s\n", model.CurrentVersion)

	_, activated, err := env.Activate(id)
	check(err == nil && activated, "activation (handshake, OnConfigurationChange, OnActivate, python started)", err)
	if err != nil {
		return nil
	}
	hooks, err := env.HooksForPlugin(id)
	if err != nil {
		return err
	}
	code, out, text := serve(hooks, http.MethodGet, "/config", "", nil)
	check(code == 200 && out["Greeting"] == "compat", "ServeHTTP GET /config (config read in OnActivate)", code, text)
	code, out, text = serve(hooks, http.MethodPost, "/echo", "user-c", make([]byte, 40<<10))
	check(code == 200 && out["user_id"] == "user-c" && out["len"] == float64(40<<10), "ServeHTTP POST /echo, 40 KiB body, Mattermost-User-Id", code, text)
	code, _, _ = serve(hooks, http.MethodPost, "/echo", "", []byte("{}"))
	check(code == 401, "ServeHTTP without user: 401", code)
	code, out, text = serve(hooks, http.MethodGet, "/kv/broken", "", nil)
	check(out["error_id"] == "compat.kv.broken", "KV embedded AppError reaches Python", code, text)
	code, out, text = serve(hooks, http.MethodGet, "/users/nobody", "", nil)
	check(out["class"] == "NotFoundError", "user lookup: gRPC NOT_FOUND status reaches Python", code, text)
	code, out, text = serve(hooks, http.MethodPost, "/tour", "user-c", []byte(`{"team":"core","channel":"town","username":"alex"}`))
	check(code == 200 && out["bot_id"] == "compatbot" && out["private_type"] == "P" && out["updated"] == "root edited" &&
		fmt.Sprint(out["kv"]) == "[true false true [claim:x lock:x]]" && out["site_url"] == "http://compat.example",
		"API tour (bots, teams, channels, members, posts, thread, ephemeral, websocket, KV, users, permissions, config)", code, text)
	resp, appErr := hooks.ExecuteCommand(&plugin.Context{}, &model.CommandArgs{UserId: "user-c", Command: "/fixture compat"})
	check(appErr == nil && resp != nil && strings.Contains(resp.Text, "fixture ran"), "ExecuteCommand", appErr)
	hooks.MessageHasBeenPosted(&plugin.Context{}, &model.Post{Id: "p", Message: "compat post"})
	_, _, text = serve(hooks, http.MethodGet, "/posted", "", nil)
	check(strings.Contains(text, "compat post"), "MessageHasBeenPosted", text)

	api.mu.Lock()
	logs := strings.Join(api.logs, "\n")
	api.mu.Unlock()
	m := regexp.MustCompile(`python backend started pid (\d+)`).FindStringSubmatch(logs)
	check(m != nil, "bridge logged through the API")
	env.Deactivate(id)
	if m != nil {
		pid, _ := strconv.Atoi(m[1])
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && syscall.Kill(pid, 0) != syscall.ESRCH {
			time.Sleep(20 * time.Millisecond)
		}
		check(syscall.Kill(pid, 0) == syscall.ESRCH, "python process gone after deactivation")
	}
	return nil
}

func main() {
	binary := flag.String("binary", "", "bridge executable (dist/plugin-<os>-<arch>)")
	fixture := flag.String("fixture", "", "the runtime's fixture plugin directory")
	python := flag.String("python", "python3", "interpreter for the Python backend")
	flag.Parse()
	_ = os.Setenv("MM_COMMUNITY_ESCALATIONS_PYTHON", *python)
	if err := run(*binary, *fixture); err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		os.Exit(1)
	}
	if failures > 0 {
		fmt.Printf("%d checks failed\n", failures)
		os.Exit(1)
	}
	fmt.Println("all checks passed")
}
