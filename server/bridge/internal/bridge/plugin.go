// Package bridge is a stock Mattermost Go plugin that hosts the Python backend: it serves the
// PluginAPI gRPC service over plugin.API, starts the Python process the way a server with native
// Python support would, and forwards hooks to it over the PluginHooks gRPC service. The Python
// code cannot tell the difference (docs/protocol.md §2-§7).
package bridge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"

	"community-escalations/bridge/internal/apiserver"
	pb "community-escalations/bridge/internal/pluginapiv1"
)

// PythonEnv names the environment variable (of the Mattermost server process) that overrides
// the interpreter; otherwise the bundle's venv/.venv is used as by native support, else python3
// on the server's PATH.
const PythonEnv = "MM_COMMUNITY_ESCALATIONS_PYTHON"

// EntryScript is the Python entry point, relative to the bundle directory.
const EntryScript = "server/plugin.py"

// Defaults for the knobs on Plugin.
const (
	// Servers with native Python support allow 10 s. The bridge allows more: a freshly
	// extracted bundle's first start also unpacks grpcio's compiled module, which passes 10 s
	// on a busy 2-core machine (measured up to 18 s); later starts take about 3 s.
	DefaultHandshakeTimeout = 30 * time.Second
	DefaultStopGrace        = 3 * time.Second // SIGTERM → SIGKILL; fits go-plugin's kill window
	DefaultDeactivateHook   = 5 * time.Second // OnDeactivate forwarding deadline
	DefaultMinBackoff       = time.Second
	DefaultMaxBackoff       = time.Minute
	DefaultMaxRestartFails  = 8               // ~3 min of back-off, then the bridge process gives up
	healthyRun              = 2 * time.Minute // a session that lived this long resets the back-off
)

// Plugin is the Go plugin. The zero value plus API is usable; tests set the knobs.
type Plugin struct {
	plugin.MattermostPlugin

	// Knobs; zero means the default above.
	Python           string // interpreter; "" = PythonEnv, bundle venv, python3 on PATH
	BundleDir        string // "" = API.GetBundlePath()
	Script           string // "" = EntryScript
	HandshakeTimeout time.Duration
	StopGrace        time.Duration
	MinBackoff       time.Duration
	MaxBackoff       time.Duration
	// MaxRestartFailures consecutive failed restarts make the bridge process exit, so the
	// server's plugin health check takes over (restart, or "failed" in the System Console)
	// instead of a plugin that looks healthy but answers 503.
	MaxRestartFailures int
	Exit               func(code int) // nil = os.Exit; tests replace it

	mu       sync.RWMutex
	sess     *session // nil while stopped or restarting
	apiSrv   *apiserver.Server
	procCfg  ProcessConfig // how to (re)start the backend
	stop     chan struct{} // closed by OnDeactivate; ends the supervisor
	stopOnce *sync.Once
	wg       sync.WaitGroup // the supervisor goroutine
}

// New returns the plugin with default knobs.
func New() *Plugin { return &Plugin{} }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// log writes a bridge message to the server log (no-op without an API, e.g. before activation).
func (p *Plugin) log(level, msg string, kv ...any) {
	api := p.API
	if api == nil {
		return
	}
	switch level {
	case "error":
		api.LogError(msg, kv...)
	case "warn":
		api.LogWarn(msg, kv...)
	case "debug":
		api.LogDebug(msg, kv...)
	default:
		api.LogInfo(msg, kv...)
	}
}

// pythonLine forwards one line of the Python process's output to the server log.
func (p *Plugin) pythonLine(level, line string) { p.log(level, line, "source", "python") }

// resolvePython picks the interpreter: knob, environment, bundle venv, python3 on PATH.
func (p *Plugin) resolvePython(bundle string) (string, error) {
	if p.Python != "" {
		return p.Python, nil
	}
	if env := os.Getenv(PythonEnv); env != "" {
		return env, nil
	}
	for _, rel := range []string{"venv/bin/python", "venv/bin/python3", ".venv/bin/python", ".venv/bin/python3"} {
		cand := filepath.Join(bundle, rel)
		if st, err := os.Stat(cand); err == nil && !st.IsDir() {
			return cand, nil
		}
	}
	for _, name := range []string{"python3", "python"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no python3 on the server's PATH (%s); set %s to the interpreter", os.Getenv("PATH"), PythonEnv)
}

// current returns the running session or nil.
func (p *Plugin) current() *session {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.sess
}

// OnActivate serves PluginAPI, starts the Python backend, and forwards OnActivate to it.
func (p *Plugin) OnActivate() error {
	bundle := p.BundleDir
	if bundle == "" {
		var err error
		if bundle, err = p.API.GetBundlePath(); err != nil {
			return fmt.Errorf("cannot find the plugin bundle: %w", err)
		}
	}
	python, err := p.resolvePython(bundle)
	if err != nil {
		return err
	}
	script := p.Script
	if script == "" {
		script = EntryScript
	}
	scriptPath := script
	if !filepath.IsAbs(scriptPath) {
		scriptPath = filepath.Join(bundle, script)
	}
	if _, err := os.Stat(scriptPath); err != nil {
		return fmt.Errorf("python entry script missing from the bundle: %w", err)
	}

	srv, err := apiserver.Listen(&apiserver.Service{API: p.API})
	if err != nil {
		return fmt.Errorf("cannot serve the plugin API: %w", err)
	}
	cfg := ProcessConfig{
		Python: python, Script: script, Dir: bundle, APITarget: srv.Addr(),
		HandshakeTimeout: orDefault(p.HandshakeTimeout, DefaultHandshakeTimeout), Log: p.pythonLine,
	}
	sess, err := p.activateSession(cfg)
	if err != nil {
		srv.Stop()
		return err
	}
	p.mu.Lock()
	p.apiSrv, p.procCfg, p.sess = srv, cfg, sess
	p.stop, p.stopOnce = make(chan struct{}), &sync.Once{}
	stop := p.stop
	p.mu.Unlock()

	p.wg.Add(1)
	go p.supervise(sess, stop)
	if extra := sess.unforwarded(); len(extra) > 0 {
		p.log("warn", "the python backend implements hooks this bridge does not forward; they will not be called",
			"hooks", strings.Join(extra, ","))
	}
	p.log("info", "python backend started", "pid", sess.proc.Pid(), "python", python, "api_target", srv.Addr(), "hooks", strings.Join(sess.hookList(), ","))
	return nil
}

// activateSession starts a backend and runs its OnActivate; on failure nothing is left running.
func (p *Plugin) activateSession(cfg ProcessConfig) (*session, error) {
	sess, err := startSession(cfg)
	if err != nil {
		return nil, err
	}
	if sess.implements("OnActivate") {
		ctx, cancel := context.WithTimeout(context.Background(), HookTimeout)
		resp, err := sess.hooks.OnActivate(ctx, &pb.OnActivateRequest{})
		cancel()
		if err == nil {
			if appErr := apiserver.AppErrorFromProto(resp.GetError(), "OnActivate"); appErr != nil {
				err = errors.New(appErr.Message)
			}
		} else {
			err = fmt.Errorf("OnActivate call failed: %w", err)
		}
		if err != nil {
			sess.close(orDefault(p.StopGrace, DefaultStopGrace))
			return nil, sess.proc.withTail(err)
		}
	}
	return sess, nil
}

// supervise watches the running backend; if it dies while the plugin is active it logs the last
// stderr lines and restarts it (handshake, Implemented, OnActivate) with exponential back-off.
func (p *Plugin) supervise(sess *session, stop <-chan struct{}) {
	defer p.wg.Done()
	backoff := orDefault(p.MinBackoff, DefaultMinBackoff)
	maxBackoff := orDefault(p.MaxBackoff, DefaultMaxBackoff)
	maxFailures := p.MaxRestartFailures
	if maxFailures <= 0 {
		maxFailures = DefaultMaxRestartFails
	}
	failures := 0
	for {
		select {
		case <-stop:
			return
		case <-sess.proc.Done():
		}
		p.mu.Lock()
		if p.sess == sess {
			p.sess = nil
		}
		p.mu.Unlock()
		sess.close(0) // reaped already; closes the connection
		if time.Since(sess.started) > healthyRun {
			backoff = orDefault(p.MinBackoff, DefaultMinBackoff)
		}
		p.log("error", "python backend exited unexpectedly; restarting", "exit", sess.proc.ExitText(),
			"retry_in", backoff.String(), "stderr_tail", strings.Join(sess.proc.StderrTail(), "\n"))
		for {
			select {
			case <-stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
			next, err := p.activateSession(p.procCfg)
			if err != nil {
				failures++
				if failures >= maxFailures {
					p.log("error", "python backend restart failed; giving up, the plugin process exits so the server's health check takes over",
						"error", err.Error(), "attempts", failures)
					exit := p.Exit
					if exit == nil {
						exit = os.Exit
					}
					exit(1)
					return
				}
				p.log("error", "python backend restart failed", "error", err.Error(), "retry_in", backoff.String())
				continue
			}
			failures = 0
			p.mu.Lock()
			select {
			case <-stop: // deactivated meanwhile: do not install it
				p.mu.Unlock()
				next.close(orDefault(p.StopGrace, DefaultStopGrace))
				return
			default:
			}
			p.sess = next
			p.mu.Unlock()
			p.log("info", "python backend restarted", "pid", next.proc.Pid())
			sess = next
			break
		}
	}
}

// OnDeactivate forwards OnDeactivate, then stops the backend (SIGTERM, SIGKILL after the grace)
// and the API server, all within a few seconds so the server's kill never finds a live child.
func (p *Plugin) OnDeactivate() error {
	p.mu.Lock()
	sess, srv, stop, once := p.sess, p.apiSrv, p.stop, p.stopOnce
	p.sess, p.apiSrv = nil, nil
	p.mu.Unlock()
	if once != nil {
		once.Do(func() { close(stop) })
	}
	// The supervisor may be inside a restart (handshake, OnActivate); it notices the stop and
	// closes what it started, so do not wait for it longer than the server's patience allows.
	// Stopping the API server below also makes a half-started backend fail fast.
	supervisorDone := make(chan struct{})
	go func() { p.wg.Wait(); close(supervisorDone) }()
	select {
	case <-supervisorDone:
	case <-time.After(2 * time.Second):
		p.log("warn", "python backend restart still in progress at deactivation; it will be stopped when it returns")
	}

	var hookErr error
	if sess != nil {
		if sess.implements("OnDeactivate") && sess.alive() {
			ctx, cancel := context.WithTimeout(context.Background(), DefaultDeactivateHook)
			resp, err := sess.hooks.OnDeactivate(ctx, &pb.OnDeactivateRequest{})
			cancel()
			if err != nil {
				hookErr = fmt.Errorf("OnDeactivate call failed: %w", err)
			} else if appErr := apiserver.AppErrorFromProto(resp.GetError(), "OnDeactivate"); appErr != nil {
				hookErr = errors.New(appErr.Message)
			}
		}
		sess.close(orDefault(p.StopGrace, DefaultStopGrace))
	}
	if srv != nil {
		srv.Stop()
	}
	return hookErr
}

// OnConfigurationChange is forwarded once the backend runs. The Go plugin RPC shim also calls it
// just before OnActivate; native Python plugins get no such call (docs/protocol.md §2.7), so that
// one is dropped.
func (p *Plugin) OnConfigurationChange() error {
	sess := p.current()
	if sess == nil || !sess.implements("OnConfigurationChange") {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), HookTimeout)
	defer cancel()
	resp, err := sess.hooks.OnConfigurationChange(ctx, &pb.OnConfigurationChangeRequest{})
	if err != nil {
		return fmt.Errorf("OnConfigurationChange call failed: %w", err)
	}
	if appErr := apiserver.AppErrorFromProto(resp.GetError(), "OnConfigurationChange"); appErr != nil {
		return errors.New(appErr.Message)
	}
	return nil
}

func pluginContextToProto(c *plugin.Context) *pb.PluginContext {
	if c == nil {
		return nil
	}
	return &pb.PluginContext{
		SessionId: c.SessionId, RequestId: c.RequestId, IpAddress: c.IPAddress,
		AcceptLanguage: c.AcceptLanguage, UserAgent: c.UserAgent,
	}
}

// unavailable is the AppError hooks return while no backend runs.
func unavailable(where string) *model.AppError {
	e := model.NewAppError(where, "plugin.bridge.backend_unavailable", nil,
		"the plugin's python backend is not running", 503)
	e.Message = "The Community Escalations backend is restarting. Try again in a moment."
	e.SkipTranslation = true
	return e
}

// ExecuteCommand forwards a slash command (30 s deadline, errors as upstream's hook client).
func (p *Plugin) ExecuteCommand(c *plugin.Context, args *model.CommandArgs) (*model.CommandResponse, *model.AppError) {
	sess := p.current()
	if sess == nil {
		return nil, unavailable("ExecuteCommand")
	}
	if !sess.implements("ExecuteCommand") {
		return nil, model.NewAppError("ExecuteCommand", "plugin.bridge.execute_command.not_implemented", nil, "", 501)
	}
	ctx, cancel := context.WithTimeout(context.Background(), HookTimeout)
	defer cancel()
	resp, err := sess.hooks.ExecuteCommand(ctx, &pb.ExecuteCommandRequest{
		PluginContext: pluginContextToProto(c), Args: apiserver.CommandArgsToProto(args),
	})
	if err != nil {
		return nil, model.NewAppError("ExecuteCommand", "plugin.grpc.execute_command.error", nil, err.Error(), 500)
	}
	if appErr := apiserver.AppErrorFromProto(resp.GetError(), "ExecuteCommand"); appErr != nil {
		return nil, appErr
	}
	return apiserver.CommandResponseFromProto(resp.GetResponse()), nil
}

// MessageHasBeenPosted is forwarded if the backend lists it (hook-side post: no props).
func (p *Plugin) MessageHasBeenPosted(c *plugin.Context, post *model.Post) {
	sess := p.current()
	if !sess.implements("MessageHasBeenPosted") {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), HookTimeout)
	defer cancel()
	if _, err := sess.hooks.MessageHasBeenPosted(ctx, &pb.MessageHasBeenPostedRequest{
		PluginContext: pluginContextToProto(c), Post: apiserver.HookPostToProto(post),
	}); err != nil {
		p.log("warn", "MessageHasBeenPosted call failed", "error", err.Error())
	}
}

// UserHasJoinedChannel is forwarded if the backend lists it; actor is nil when the user joined
// by themselves.
func (p *Plugin) UserHasJoinedChannel(c *plugin.Context, member *model.ChannelMember, actor *model.User) {
	sess := p.current()
	if !sess.implements("UserHasJoinedChannel") || member == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), HookTimeout)
	defer cancel()
	req := &pb.UserHasJoinedChannelRequest{
		PluginContext: pluginContextToProto(c), ChannelMember: apiserver.ChannelMemberToProto(member),
	}
	if actor != nil {
		req.Actor = apiserver.UserToProto(actor)
	}
	if _, err := sess.hooks.UserHasJoinedChannel(ctx, req); err != nil {
		p.log("warn", "UserHasJoinedChannel call failed", "error", err.Error())
	}
}
