package bridge

// A session is one connected Python backend: the process, the gRPC connection to its hooks
// server, and the hook names it implements. Starting one does what the Mattermost supervisor
// does for a native Python plugin: start, handshake, dial, health-check "plugin", Implemented.

import (
	"context"
	"fmt"
	"sort"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "community-escalations/bridge/internal/pluginapiv1"
)

// HookTimeout is upstream's deadline for every unary hook call (defaultGRPCTimeout).
const HookTimeout = 30 * time.Second

// maxHookMessageBytes matches the message limits of the Python hooks server (64 MB).
const maxHookMessageBytes = 64 << 20

type session struct {
	proc        *Process
	conn        *grpc.ClientConn
	hooks       pb.PluginHooksClient
	implemented map[string]bool
	started     time.Time
}

// startSession starts the process and brings it to "implemented known". It does not call OnActivate.
func startSession(cfg ProcessConfig) (*session, error) {
	proc, hs, err := StartProcess(cfg)
	if err != nil {
		return nil, err
	}
	s := &session{proc: proc, started: time.Now()}
	fail := func(err error) (*session, error) {
		s.close(2 * time.Second)
		return nil, proc.withTail(err)
	}
	target := hs.Addr
	if hs.Network == "unix" {
		target = "unix:" + hs.Addr
	}
	conn, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxHookMessageBytes), grpc.MaxCallSendMsgSize(maxHookMessageBytes)),
	)
	if err != nil {
		return fail(fmt.Errorf("cannot dial the python backend at %s: %w", target, err))
	}
	s.conn = conn
	s.hooks = pb.NewPluginHooksClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), cfg.HandshakeTimeout)
	defer cancel()
	health, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "plugin"}, grpc.WaitForReady(true))
	if err != nil {
		return fail(fmt.Errorf("health check of the python backend failed: %w", err))
	}
	if health.Status != healthpb.HealthCheckResponse_SERVING {
		return fail(fmt.Errorf("python backend reports health %s for service \"plugin\"", health.Status))
	}

	ictx, icancel := context.WithTimeout(context.Background(), HookTimeout)
	defer icancel()
	impl, err := s.hooks.Implemented(ictx, &pb.ImplementedRequest{})
	if err != nil {
		return fail(fmt.Errorf("hook Implemented failed: %w", err))
	}
	if appErr := impl.GetError(); appErr != nil && (appErr.Id != "" || appErr.Message != "") {
		return fail(fmt.Errorf("hook Implemented failed: %s: %s", appErr.Id, appErr.Message))
	}
	s.implemented = make(map[string]bool, len(impl.Hooks))
	for _, h := range impl.Hooks {
		s.implemented[h] = true
	}
	return s, nil
}

func (s *session) implements(hook string) bool { return s != nil && s.implemented[hook] }

// alive reports whether the process still runs.
func (s *session) alive() bool {
	select {
	case <-s.proc.Done():
		return false
	default:
		return true
	}
}

// close stops the process (SIGTERM, SIGKILL after grace) and the connection.
func (s *session) close(grace time.Duration) {
	s.proc.Stop(grace)
	if s.conn != nil {
		_ = s.conn.Close()
	}
}

// hookList returns the implemented hook names (for the log).
func (s *session) hookList() []string {
	out := make([]string, 0, len(s.implemented))
	for h := range s.implemented {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// ForwardedHooks are the hooks the bridge forwards (the Go plugin implements exactly these).
var ForwardedHooks = map[string]bool{
	"OnActivate": true, "OnDeactivate": true, "OnConfigurationChange": true,
	"ExecuteCommand": true, "MessageHasBeenPosted": true, "ServeHTTP": true,
}

// unforwarded lists implemented hooks the bridge cannot deliver (sorted).
func (s *session) unforwarded() []string {
	var out []string
	for _, h := range s.hookList() {
		if !ForwardedHooks[h] {
			out = append(out, h)
		}
	}
	return out
}
