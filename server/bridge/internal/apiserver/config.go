package apiserver

import (
	"context"
	"encoding/json"

	"github.com/mattermost/mattermost/server/public/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	pb "community-escalations/bridge/internal/pluginapiv1"
)

// ---- configuration (status errors) ----

func (s *Service) GetConfig(context.Context, *pb.GetConfigRequest) (*pb.GetConfigResponse, error) {
	cfg := s.API.GetConfig()
	if cfg == nil {
		return nil, status.Error(codes.Internal, "plugin.api.get_config: the server returned no configuration")
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, status.Error(codes.Internal, "plugin.api.get_config: "+err.Error())
	}
	return &pb.GetConfigResponse{ConfigJson: raw}, nil
}

func (s *Service) GetPluginConfig(context.Context, *pb.GetPluginConfigRequest) (*pb.GetPluginConfigResponse, error) {
	cfg := s.API.GetPluginConfig()
	if cfg == nil {
		cfg = map[string]any{}
	}
	st, err := structpb.NewStruct(jsonSafeMap(cfg))
	if err != nil {
		return nil, status.Error(codes.Internal, "plugin.api.get_plugin_config: "+err.Error())
	}
	return &pb.GetPluginConfigResponse{Config: st}, nil
}

func (s *Service) LoadPluginConfiguration(context.Context, *pb.LoadPluginConfigurationRequest) (*pb.LoadPluginConfigurationResponse, error) {
	cfg := map[string]any{}
	if err := s.API.LoadPluginConfiguration(&cfg); err != nil {
		return nil, statusFromError(err)
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, status.Error(codes.Internal, "plugin.api.load_plugin_configuration: "+err.Error())
	}
	return &pb.LoadPluginConfigurationResponse{ConfigJson: raw}, nil
}

func (s *Service) SavePluginConfig(_ context.Context, r *pb.SavePluginConfigRequest) (*pb.SavePluginConfigResponse, error) {
	cfg := fromStruct(r.Config)
	if cfg == nil {
		cfg = map[string]any{}
	}
	if appErr := s.API.SavePluginConfig(cfg); appErr != nil {
		return nil, statusErr(appErr)
	}
	return &pb.SavePluginConfigResponse{}, nil
}

func (s *Service) GetBundlePath(context.Context, *pb.GetBundlePathRequest) (*pb.GetBundlePathResponse, error) {
	path, err := s.API.GetBundlePath()
	if err != nil {
		return nil, statusFromError(err)
	}
	return &pb.GetBundlePathResponse{Path: path}, nil
}

func (s *Service) GetServerVersion(context.Context, *pb.GetServerVersionRequest) (*pb.GetServerVersionResponse, error) {
	return &pb.GetServerVersionResponse{Version: s.API.GetServerVersion()}, nil
}

// ---- permissions (never fail) ----

// permission builds the *model.Permission the API wants from its id; the server only reads Id.
func permission(id string) *model.Permission {
	for _, p := range model.AllPermissions {
		if p.Id == id {
			return p
		}
	}
	return &model.Permission{Id: id}
}

func (s *Service) HasPermissionTo(_ context.Context, r *pb.HasPermissionToRequest) (*pb.HasPermissionToResponse, error) {
	return &pb.HasPermissionToResponse{HasPermission: s.API.HasPermissionTo(r.UserId, permission(r.PermissionId))}, nil
}

func (s *Service) HasPermissionToTeam(_ context.Context, r *pb.HasPermissionToTeamRequest) (*pb.HasPermissionToTeamResponse, error) {
	return &pb.HasPermissionToTeamResponse{HasPermission: s.API.HasPermissionToTeam(r.UserId, r.TeamId, permission(r.PermissionId))}, nil
}

func (s *Service) HasPermissionToChannel(_ context.Context, r *pb.HasPermissionToChannelRequest) (*pb.HasPermissionToChannelResponse, error) {
	return &pb.HasPermissionToChannelResponse{HasPermission: s.API.HasPermissionToChannel(r.UserId, r.ChannelId, permission(r.PermissionId))}, nil
}

// ---- logging (never fails) ----

// keyValues flattens KeyValuePairs into the alternating key, value list plugin.API.Log* takes.
func keyValues(pairs []*pb.KeyValuePair) []any {
	out := make([]any, 0, 2*len(pairs))
	for _, kv := range pairs {
		var v any
		if kv.Value != nil {
			v = kv.Value.AsInterface()
		}
		out = append(out, kv.Key, v)
	}
	return out
}

func (s *Service) LogDebug(_ context.Context, r *pb.LogDebugRequest) (*pb.LogDebugResponse, error) {
	s.API.LogDebug(r.Msg, keyValues(r.KeyValuePairs)...)
	return &pb.LogDebugResponse{}, nil
}

func (s *Service) LogInfo(_ context.Context, r *pb.LogInfoRequest) (*pb.LogInfoResponse, error) {
	s.API.LogInfo(r.Msg, keyValues(r.KeyValuePairs)...)
	return &pb.LogInfoResponse{}, nil
}

func (s *Service) LogWarn(_ context.Context, r *pb.LogWarnRequest) (*pb.LogWarnResponse, error) {
	s.API.LogWarn(r.Msg, keyValues(r.KeyValuePairs)...)
	return &pb.LogWarnResponse{}, nil
}

func (s *Service) LogError(_ context.Context, r *pb.LogErrorRequest) (*pb.LogErrorResponse, error) {
	s.API.LogError(r.Msg, keyValues(r.KeyValuePairs)...)
	return &pb.LogErrorResponse{}, nil
}
