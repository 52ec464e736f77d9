package apiserver

// Error conventions (docs/protocol.md §5). The upstream PluginAPI gRPC service reports failures in
// two ways, and the Python client expects exactly the one upstream uses for each RPC:
//
//	embedded  — KV* and post RPCs: the response's `error` field (AppError) is set, gRPC status OK.
//	status    — users, teams, channels, bots, commands, config, dialog: a gRPC status whose code
//	            is mapped from AppError.StatusCode and whose message is "<id>: <message>".
//	none      — ephemeral posts, WebSocket events, permissions, logging, server version.

import (
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "community-escalations/bridge/internal/pluginapiv1"
)

// embedded converts an AppError into the response-embedded form (nil stays nil).
func embedded(appErr *model.AppError) *pb.AppError {
	if appErr == nil {
		return nil
	}
	return &pb.AppError{
		Id:            appErr.Id,
		Message:       appErr.Message,
		DetailedError: appErr.DetailedError,
		RequestId:     appErr.RequestId,
		StatusCode:    int32(appErr.StatusCode),
		Where:         appErr.Where,
		// Params: model.AppError keeps them unexported; the message is already rendered.
	}
}

// codeFor maps an HTTP-like AppError status code to a gRPC code, as upstream's AppErrorToStatus.
func codeFor(statusCode int) codes.Code {
	switch statusCode {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusConflict:
		return codes.AlreadyExists
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusNotImplemented:
		return codes.Unimplemented
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	default:
		return codes.Internal
	}
}

// statusErr converts an AppError into the gRPC-status form; nil stays nil.
func statusErr(appErr *model.AppError) error {
	if appErr == nil {
		return nil
	}
	return status.Error(codeFor(appErr.StatusCode), appErr.Id+": "+appErr.Message)
}

// statusFromError converts a plain Go error from plugin.API (EnsureBotUser, RegisterCommand, ...)
// into the gRPC-status form: an *AppError keeps its mapping, anything else is INTERNAL.
func statusFromError(err error) error {
	if err == nil {
		return nil
	}
	if appErr, ok := err.(*model.AppError); ok {
		return statusErr(appErr) // a typed nil *AppError means success, too
	}
	return status.Error(codes.Internal, err.Error())
}
