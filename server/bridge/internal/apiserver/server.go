// Package apiserver implements the PluginAPI gRPC service (package mattermost.pluginapi.v1) on
// top of the stock Go plugin API (plugin.API), so the Python backend can make the same calls it
// makes on a server with native Python support. Each RPC calls exactly one plugin.API method and
// reports failures in the convention upstream uses for that RPC (errors.go).
package apiserver

import (
	"context"
	"net"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "community-escalations/bridge/internal/pluginapiv1"
)

// MaxMessageBytes bounds request and response sizes on the API connection (upstream's SDK uses
// 100 MB on its client channel; KV values and posts are far smaller).
const MaxMessageBytes = 100 << 20

// Service is the PluginAPI implementation. API is read on every call, so it may be swapped
// (tests) but must be set before serving.
type Service struct {
	pb.UnimplementedPluginAPIServer
	API plugin.API
}

// Server is a running PluginAPI gRPC server on a loopback listener.
type Server struct {
	grpc *grpc.Server
	lis  net.Listener
}

// Listen serves svc on 127.0.0.1 at an ephemeral port.
func Listen(svc *Service) (*Server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.ChainUnaryInterceptor(recoverPanics))
	pb.RegisterPluginAPIServer(gs, svc)
	go func() { _ = gs.Serve(lis) }()
	return &Server{grpc: gs, lis: lis}, nil
}

// Addr is the "host:port" to export as MATTERMOST_PLUGIN_API_TARGET.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Stop ends the server: in-flight calls get a short grace, then connections are closed.
func (s *Server) Stop() {
	s.grpc.Stop()
}

// recoverPanics turns a panic in a handler into an INTERNAL status: a bug in one conversion must
// not take the whole plugin process (and with it every hook) down.
func recoverPanics(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, status.Errorf(codes.Internal, "plugin.bridge.panic: %s: %v", info.FullMethod, r)
		}
	}()
	return handler(ctx, req)
}

// ---- KV store (embedded errors) ----

func (s *Service) KVSet(_ context.Context, r *pb.KVSetRequest) (*pb.KVSetResponse, error) {
	return &pb.KVSetResponse{Error: embedded(s.API.KVSet(r.Key, emptyToNil(r.Value)))}, nil
}

func (s *Service) KVGet(_ context.Context, r *pb.KVGetRequest) (*pb.KVGetResponse, error) {
	v, appErr := s.API.KVGet(r.Key)
	return &pb.KVGetResponse{Error: embedded(appErr), Value: v}, nil
}

func (s *Service) KVDelete(_ context.Context, r *pb.KVDeleteRequest) (*pb.KVDeleteResponse, error) {
	return &pb.KVDeleteResponse{Error: embedded(s.API.KVDelete(r.Key))}, nil
}

func (s *Service) KVDeleteAll(context.Context, *pb.KVDeleteAllRequest) (*pb.KVDeleteAllResponse, error) {
	return &pb.KVDeleteAllResponse{Error: embedded(s.API.KVDeleteAll())}, nil
}

func (s *Service) KVSetWithOptions(_ context.Context, r *pb.KVSetWithOptionsRequest) (*pb.KVSetWithOptionsResponse, error) {
	opts := model.PluginKVSetOptions{}
	if o := r.Options; o != nil {
		opts = model.PluginKVSetOptions{Atomic: o.Atomic, OldValue: emptyToNil(o.OldValue), ExpireInSeconds: o.ExpireInSeconds}
	}
	ok, appErr := s.API.KVSetWithOptions(r.Key, emptyToNil(r.Value), opts)
	return &pb.KVSetWithOptionsResponse{Error: embedded(appErr), Success: ok}, nil
}

func (s *Service) KVSetWithExpiry(_ context.Context, r *pb.KVSetWithExpiryRequest) (*pb.KVSetWithExpiryResponse, error) {
	return &pb.KVSetWithExpiryResponse{Error: embedded(s.API.KVSetWithExpiry(r.Key, emptyToNil(r.Value), r.ExpireInSeconds))}, nil
}

func (s *Service) KVCompareAndSet(_ context.Context, r *pb.KVCompareAndSetRequest) (*pb.KVCompareAndSetResponse, error) {
	ok, appErr := s.API.KVCompareAndSet(r.Key, emptyToNil(r.OldValue), emptyToNil(r.NewValue))
	return &pb.KVCompareAndSetResponse{Error: embedded(appErr), Success: ok}, nil
}

func (s *Service) KVCompareAndDelete(_ context.Context, r *pb.KVCompareAndDeleteRequest) (*pb.KVCompareAndDeleteResponse, error) {
	ok, appErr := s.API.KVCompareAndDelete(r.Key, emptyToNil(r.OldValue))
	return &pb.KVCompareAndDeleteResponse{Error: embedded(appErr), Success: ok}, nil
}

func (s *Service) KVList(_ context.Context, r *pb.KVListRequest) (*pb.KVListResponse, error) {
	keys, appErr := s.API.KVList(int(r.Page), int(r.PerPage))
	return &pb.KVListResponse{Error: embedded(appErr), Keys: keys}, nil
}

// ---- posts (embedded errors; ephemeral posts never fail) ----

func (s *Service) CreatePost(_ context.Context, r *pb.CreatePostRequest) (*pb.CreatePostResponse, error) {
	p, appErr := s.API.CreatePost(PostFromProto(r.Post))
	return &pb.CreatePostResponse{Error: embedded(appErr), Post: PostToProto(p)}, nil
}

func (s *Service) UpdatePost(_ context.Context, r *pb.UpdatePostRequest) (*pb.UpdatePostResponse, error) {
	p, appErr := s.API.UpdatePost(PostFromProto(r.Post))
	return &pb.UpdatePostResponse{Error: embedded(appErr), Post: PostToProto(p)}, nil
}

func (s *Service) GetPost(_ context.Context, r *pb.GetPostRequest) (*pb.GetPostResponse, error) {
	p, appErr := s.API.GetPost(r.PostId)
	return &pb.GetPostResponse{Error: embedded(appErr), Post: PostToProto(p)}, nil
}

func (s *Service) DeletePost(_ context.Context, r *pb.DeletePostRequest) (*pb.DeletePostResponse, error) {
	return &pb.DeletePostResponse{Error: embedded(s.API.DeletePost(r.PostId))}, nil
}

func (s *Service) GetPostThread(_ context.Context, r *pb.GetPostThreadRequest) (*pb.GetPostThreadResponse, error) {
	l, appErr := s.API.GetPostThread(r.PostId)
	return &pb.GetPostThreadResponse{Error: embedded(appErr), PostList: PostListToProto(l)}, nil
}

// GetPostsSince answers the channel's posts changed after r.Time (ms), deleted ones included.
func (s *Service) GetPostsSince(_ context.Context, r *pb.GetPostsSinceRequest) (*pb.GetPostsSinceResponse, error) {
	l, appErr := s.API.GetPostsSince(r.ChannelId, r.Time)
	return &pb.GetPostsSinceResponse{Error: embedded(appErr), PostList: PostListToProto(l)}, nil
}

func (s *Service) SendEphemeralPost(_ context.Context, r *pb.SendEphemeralPostRequest) (*pb.SendEphemeralPostResponse, error) {
	return &pb.SendEphemeralPostResponse{Post: PostToProto(s.API.SendEphemeralPost(r.UserId, PostFromProto(r.Post)))}, nil
}

func (s *Service) UpdateEphemeralPost(_ context.Context, r *pb.UpdateEphemeralPostRequest) (*pb.UpdateEphemeralPostResponse, error) {
	return &pb.UpdateEphemeralPostResponse{Post: PostToProto(s.API.UpdateEphemeralPost(r.UserId, PostFromProto(r.Post)))}, nil
}

func (s *Service) DeleteEphemeralPost(_ context.Context, r *pb.DeleteEphemeralPostRequest) (*pb.DeleteEphemeralPostResponse, error) {
	s.API.DeleteEphemeralPost(r.UserId, r.PostId)
	return &pb.DeleteEphemeralPostResponse{}, nil
}

// ---- users (status errors) ----

func (s *Service) GetUser(_ context.Context, r *pb.GetUserRequest) (*pb.GetUserResponse, error) {
	u, appErr := s.API.GetUser(r.UserId)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetUserResponse{User: UserToProto(u)}, nil
}

func (s *Service) GetUserByUsername(_ context.Context, r *pb.GetUserByUsernameRequest) (*pb.GetUserByUsernameResponse, error) {
	u, appErr := s.API.GetUserByUsername(r.Name)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetUserByUsernameResponse{User: UserToProto(u)}, nil
}

func (s *Service) GetUsersByUsernames(_ context.Context, r *pb.GetUsersByUsernamesRequest) (*pb.GetUsersByUsernamesResponse, error) {
	us, appErr := s.API.GetUsersByUsernames(r.Usernames)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetUsersByUsernamesResponse{Users: usersToProto(us)}, nil
}

func (s *Service) GetUsersByIds(_ context.Context, r *pb.GetUsersByIdsRequest) (*pb.GetUsersByIdsResponse, error) {
	us, appErr := s.API.GetUsersByIds(r.UserIds)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetUsersByIdsResponse{Users: usersToProto(us)}, nil
}

func (s *Service) GetUserByEmail(_ context.Context, r *pb.GetUserByEmailRequest) (*pb.GetUserByEmailResponse, error) {
	u, appErr := s.API.GetUserByEmail(r.Email)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetUserByEmailResponse{User: UserToProto(u)}, nil
}

// ---- channels (status errors) ----

func (s *Service) GetChannel(_ context.Context, r *pb.GetChannelRequest) (*pb.GetChannelResponse, error) {
	c, appErr := s.API.GetChannel(r.ChannelId)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetChannelResponse{Channel: ChannelToProto(c)}, nil
}

func (s *Service) GetChannelByName(_ context.Context, r *pb.GetChannelByNameRequest) (*pb.GetChannelByNameResponse, error) {
	c, appErr := s.API.GetChannelByName(r.TeamId, r.Name, r.IncludeDeleted)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetChannelByNameResponse{Channel: ChannelToProto(c)}, nil
}

func (s *Service) GetChannelByNameForTeamName(_ context.Context, r *pb.GetChannelByNameForTeamNameRequest) (*pb.GetChannelByNameForTeamNameResponse, error) {
	c, appErr := s.API.GetChannelByNameForTeamName(r.TeamName, r.ChannelName, r.IncludeDeleted)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetChannelByNameForTeamNameResponse{Channel: ChannelToProto(c)}, nil
}

func (s *Service) GetDirectChannel(_ context.Context, r *pb.GetDirectChannelRequest) (*pb.GetDirectChannelResponse, error) {
	c, appErr := s.API.GetDirectChannel(r.UserId_1, r.UserId_2)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetDirectChannelResponse{Channel: ChannelToProto(c)}, nil
}

func (s *Service) CreateChannel(_ context.Context, r *pb.CreateChannelRequest) (*pb.CreateChannelResponse, error) {
	if r.Channel == nil {
		return nil, status.Error(codes.InvalidArgument, "channel is required")
	}
	c, appErr := s.API.CreateChannel(ChannelFromProto(r.Channel))
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.CreateChannelResponse{Channel: ChannelToProto(c)}, nil
}

func (s *Service) AddChannelMember(_ context.Context, r *pb.AddChannelMemberRequest) (*pb.AddChannelMemberResponse, error) {
	m, appErr := s.API.AddChannelMember(r.ChannelId, r.UserId)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.AddChannelMemberResponse{ChannelMember: ChannelMemberToProto(m)}, nil
}

func (s *Service) AddUserToChannel(_ context.Context, r *pb.AddUserToChannelRequest) (*pb.AddUserToChannelResponse, error) {
	m, appErr := s.API.AddUserToChannel(r.ChannelId, r.UserId, r.AsUserId)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.AddUserToChannelResponse{ChannelMember: ChannelMemberToProto(m)}, nil
}

func (s *Service) GetChannelMember(_ context.Context, r *pb.GetChannelMemberRequest) (*pb.GetChannelMemberResponse, error) {
	m, appErr := s.API.GetChannelMember(r.ChannelId, r.UserId)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetChannelMemberResponse{ChannelMember: ChannelMemberToProto(m)}, nil
}

func (s *Service) GetChannelMembers(_ context.Context, r *pb.GetChannelMembersRequest) (*pb.GetChannelMembersResponse, error) {
	ms, appErr := s.API.GetChannelMembers(r.ChannelId, int(r.Page), int(r.PerPage))
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	out := make([]*pb.ChannelMember, 0, len(ms))
	for i := range ms {
		out = append(out, ChannelMemberToProto(&ms[i]))
	}
	return &pb.GetChannelMembersResponse{ChannelMembers: out}, nil
}

func (s *Service) DeleteChannelMember(_ context.Context, r *pb.DeleteChannelMemberRequest) (*pb.DeleteChannelMemberResponse, error) {
	if appErr := s.API.DeleteChannelMember(r.ChannelId, r.UserId); appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.DeleteChannelMemberResponse{}, nil
}

// ---- teams (status errors) ----

func (s *Service) GetTeam(_ context.Context, r *pb.GetTeamRequest) (*pb.GetTeamResponse, error) {
	t, appErr := s.API.GetTeam(r.TeamId)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetTeamResponse{Team: TeamToProto(t)}, nil
}

func (s *Service) GetTeamByName(_ context.Context, r *pb.GetTeamByNameRequest) (*pb.GetTeamByNameResponse, error) {
	t, appErr := s.API.GetTeamByName(r.Name)
	if appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.GetTeamByNameResponse{Team: TeamToProto(t)}, nil
}

// ---- bots, dialogs, commands (status errors) ----

func (s *Service) EnsureBotUser(_ context.Context, r *pb.EnsureBotUserRequest) (*pb.EnsureBotUserResponse, error) {
	if r.Bot == nil {
		return nil, status.Error(codes.InvalidArgument, "bot is required")
	}
	id, err := s.API.EnsureBotUser(BotFromProto(r.Bot))
	if err := statusFromError(err); err != nil {
		return nil, err
	}
	return &pb.EnsureBotUserResponse{BotUserId: id}, nil
}

func (s *Service) OpenInteractiveDialog(_ context.Context, r *pb.OpenInteractiveDialogRequest) (*pb.OpenInteractiveDialogResponse, error) {
	if appErr := s.API.OpenInteractiveDialog(DialogRequestFromProto(r.Dialog)); appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.OpenInteractiveDialogResponse{}, nil
}

func (s *Service) RegisterCommand(_ context.Context, r *pb.RegisterCommandRequest) (*pb.RegisterCommandResponse, error) {
	if r.Command == nil {
		return nil, status.Error(codes.InvalidArgument, "command is required")
	}
	if err := statusFromError(s.API.RegisterCommand(CommandFromProto(r.Command))); err != nil {
		return nil, err
	}
	return &pb.RegisterCommandResponse{}, nil
}

func (s *Service) UnregisterCommand(_ context.Context, r *pb.UnregisterCommandRequest) (*pb.UnregisterCommandResponse, error) {
	if err := statusFromError(s.API.UnregisterCommand(r.TeamId, r.Trigger)); err != nil {
		return nil, err
	}
	return &pb.UnregisterCommandResponse{}, nil
}

// ---- WebSocket events (never fail) ----

func (s *Service) PublishWebSocketEvent(_ context.Context, r *pb.PublishWebSocketEventRequest) (*pb.PublishWebSocketEventResponse, error) {
	payload := fromStruct(r.Payload)
	if payload == nil {
		payload = map[string]any{}
	}
	s.API.PublishWebSocketEvent(r.Event, payload, BroadcastFromProto(r.Broadcast))
	return &pb.PublishWebSocketEventResponse{}, nil
}
