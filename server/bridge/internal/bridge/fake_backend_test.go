package bridge

// A fake Python backend for the bridge's unit tests: the test binary re-executes itself with
// FAKE_BACKEND set and then behaves like a plugin process (handshake on stdout, health, hooks),
// calling the PluginAPI at MATTERMOST_PLUGIN_API_TARGET so the API direction is exercised too.
//
// FAKE_BACKEND selects the behaviour: ok, crash (exit 3 before the handshake), silent (no
// handshake), netrpc (a handshake for the wrong protocol), fail_activate, die_once (exit shortly
// after the first activation; FAKE_MARKER names the file that remembers it), die_then_crash
// (like die_once, then every later start crashes before the handshake).
// FAKE_HOOKS overrides the Implemented list (comma separated).

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "community-escalations/bridge/internal/pluginapiv1"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv("FAKE_BACKEND"); mode != "" {
		os.Exit(runFakeBackend(mode))
	}
	if os.Getenv("BRIDGE_AS_PLUGIN") == "1" { // started by a plugin.Environment (environment_test.go)
		plugin.ClientMain(New())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type fakeHooks struct {
	pb.UnimplementedPluginHooksServer
	api   pb.PluginAPIClient
	mode  string
	hooks []string
}

func (f *fakeHooks) Implemented(context.Context, *pb.ImplementedRequest) (*pb.ImplementedResponse, error) {
	return &pb.ImplementedResponse{Hooks: f.hooks}, nil
}

func (f *fakeHooks) OnActivate(ctx context.Context, _ *pb.OnActivateRequest) (*pb.OnActivateResponse, error) {
	// The API direction: the bridge must serve it before OnActivate is forwarded.
	if _, err := f.api.KVGet(ctx, &pb.KVGetRequest{Key: "activate"}); err != nil {
		return nil, err
	}
	if f.mode == "fail_activate" {
		return &pb.OnActivateResponse{Error: &pb.AppError{Id: "fake.activate", Message: "fake refuses to activate"}}, nil
	}
	if f.mode == "die_once" {
		marker := os.Getenv("FAKE_MARKER")
		if _, err := os.Stat(marker); os.IsNotExist(err) {
			_ = os.WriteFile(marker, []byte("died"), 0o600)
			go func() {
				time.Sleep(200 * time.Millisecond)
				fmt.Fprintln(os.Stderr, "[ERROR] fake backend: simulated crash")
				os.Exit(7)
			}()
		}
	}
	return &pb.OnActivateResponse{}, nil
}

func (f *fakeHooks) OnDeactivate(ctx context.Context, _ *pb.OnDeactivateRequest) (*pb.OnDeactivateResponse, error) {
	_, err := f.api.KVSet(ctx, &pb.KVSetRequest{Key: "deactivated", Value: []byte("yes")})
	return &pb.OnDeactivateResponse{}, err
}

func (f *fakeHooks) OnConfigurationChange(ctx context.Context, _ *pb.OnConfigurationChangeRequest) (*pb.OnConfigurationChangeResponse, error) {
	_, err := f.api.KVSet(ctx, &pb.KVSetRequest{Key: "config", Value: []byte("changed")})
	return &pb.OnConfigurationChangeResponse{}, err
}

func (f *fakeHooks) ExecuteCommand(_ context.Context, r *pb.ExecuteCommandRequest) (*pb.ExecuteCommandResponse, error) {
	switch {
	case strings.Contains(r.Args.Command, "fail"):
		return &pb.ExecuteCommandResponse{Error: &pb.AppError{Id: "fake.command", Message: "no such topic", StatusCode: 400}}, nil
	case strings.Contains(r.Args.Command, "grpcerror"):
		return nil, fmt.Errorf("handler exploded")
	}
	return &pb.ExecuteCommandResponse{Response: &pb.CommandResponse{
		ResponseType: "ephemeral",
		Text:         fmt.Sprintf("ran %q for %s in %s (session %s)", r.Args.Command, r.Args.UserId, r.Args.ChannelId, r.PluginContext.GetSessionId()),
	}}, nil
}

func (f *fakeHooks) MessageHasBeenPosted(ctx context.Context, r *pb.MessageHasBeenPostedRequest) (*pb.MessageHasBeenPostedResponse, error) {
	props := "none"
	if r.Post.Props != nil {
		props = "present"
	}
	_, err := f.api.KVSet(ctx, &pb.KVSetRequest{Key: "posted", Value: []byte(r.Post.Message + "|props:" + props)})
	return &pb.MessageHasBeenPostedResponse{}, err
}

func (f *fakeHooks) UserHasJoinedChannel(ctx context.Context, r *pb.UserHasJoinedChannelRequest) (*pb.UserHasJoinedChannelResponse, error) {
	actor := "self"
	if r.Actor != nil {
		actor = r.Actor.Id
	}
	value := []byte(r.ChannelMember.GetChannelId() + "|" + r.ChannelMember.GetUserId() + "|" + actor)
	_, err := f.api.KVSet(ctx, &pb.KVSetRequest{Key: "joined", Value: value})
	return &pb.UserHasJoinedChannelResponse{}, err
}

// ServeHTTP: /echo answers 201 with the body back and request facts in headers; /flush answers
// in three flushed parts; /noinit breaks the protocol.
func (f *fakeHooks) ServeHTTP(stream pb.PluginHooks_ServeHTTPServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	init := first.Init
	var body []byte
	msgs := 1
	body = append(body, first.BodyChunk...)
	for done := first.BodyComplete; !done; {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		msgs++
		body = append(body, m.BodyChunk...)
		done = m.BodyComplete
	}
	user := ""
	for _, h := range init.Headers {
		if strings.EqualFold(h.Key, "Mattermost-User-Id") {
			user = strings.Join(h.Values, ",")
		}
	}
	switch {
	case strings.HasPrefix(init.Url, "/noinit"):
		return stream.Send(&pb.ServeHTTPResponse{BodyChunk: []byte("x"), BodyComplete: true})
	case strings.HasPrefix(init.Url, "/flush"):
		if err := stream.Send(&pb.ServeHTTPResponse{Init: &pb.ServeHTTPResponseInit{StatusCode: 200}, BodyChunk: []byte("a"), Flush: true}); err != nil {
			return err
		}
		if err := stream.Send(&pb.ServeHTTPResponse{BodyChunk: []byte("b"), Flush: true}); err != nil {
			return err
		}
		return stream.Send(&pb.ServeHTTPResponse{BodyChunk: []byte("c"), BodyComplete: true})
	}
	hdrs := []*pb.HTTPHeader{
		{Key: "Content-Type", Values: []string{"application/octet-stream"}},
		{Key: "X-Echo-User", Values: []string{user}},
		{Key: "X-Echo-Url", Values: []string{init.Url}},
		{Key: "X-Echo-Method", Values: []string{init.Method}},
		{Key: "X-Echo-Msgs", Values: []string{fmt.Sprint(msgs)}},
		{Key: "X-Echo-Session", Values: []string{init.PluginContext.GetSessionId()}},
		{Key: "X-Multi", Values: []string{"1", "2"}},
	}
	if err := stream.Send(&pb.ServeHTTPResponse{Init: &pb.ServeHTTPResponseInit{StatusCode: 201, Headers: hdrs}}); err != nil {
		return err
	}
	for len(body) > 0 {
		n := min(len(body), 16<<10)
		if err := stream.Send(&pb.ServeHTTPResponse{BodyChunk: body[:n]}); err != nil {
			return err
		}
		body = body[n:]
	}
	return stream.Send(&pb.ServeHTTPResponse{BodyComplete: true})
}

func runFakeBackend(mode string) int {
	switch mode {
	case "crash":
		fmt.Fprintln(os.Stderr, "Traceback (most recent call last):")
		fmt.Fprintln(os.Stderr, "ModuleNotFoundError: No module named 'grpc'")
		return 3
	case "silent":
		time.Sleep(time.Minute)
		return 0
	case "die_then_crash":
		if _, err := os.Stat(os.Getenv("FAKE_MARKER")); err == nil {
			fmt.Fprintln(os.Stderr, "fake backend: cannot start again")
			return 4
		}
		mode = "die_once"
	}
	conn, err := grpc.NewClient(os.Getenv("MATTERMOST_PLUGIN_API_TARGET"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		return 1
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	hooks := []string{"OnActivate", "OnDeactivate", "OnConfigurationChange", "ExecuteCommand", "MessageHasBeenPosted", "UserHasJoinedChannel", "ServeHTTP"}
	if h := os.Getenv("FAKE_HOOKS"); h != "" {
		hooks = strings.Split(h, ",")
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("plugin", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	pb.RegisterPluginHooksServer(srv, &fakeHooks{api: pb.NewPluginAPIClient(conn), mode: mode, hooks: hooks})
	go func() { _ = srv.Serve(lis) }()

	proto := "grpc"
	if mode == "netrpc" {
		proto = "netrpc"
	}
	fmt.Fprintln(os.Stderr, "[INFO] fake backend listening")
	fmt.Printf("1|1|tcp|%s|%s\n", lis.Addr(), proto)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	fmt.Fprintln(os.Stderr, "[INFO] fake backend stopping")
	srv.Stop()
	return 0
}
