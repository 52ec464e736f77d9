package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	pb "community-escalations/bridge/internal/pluginapiv1"
)

// newClient serves a Service over a mock API on loopback and returns a client for it.
func newClient(t *testing.T) (*plugintest.API, pb.PluginAPIClient) {
	t.Helper()
	api := &plugintest.API{}
	srv, err := Listen(&Service{API: api})
	require.NoError(t, err)
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		api.AssertExpectations(t)
	})
	return api, pb.NewPluginAPIClient(conn)
}

func notFound(id string) *model.AppError {
	return model.NewAppError("Test", id, nil, "detail", http.StatusNotFound)
}

// requireStatus checks the gRPC-status convention: code and "<id>: <message>".
func requireStatus(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	require.Error(t, err)
	st, ok := status.FromError(err)
	require.True(t, ok, "not a gRPC status: %v", err)
	assert.Equal(t, code, st.Code())
	assert.Equal(t, msg, st.Message())
}

func TestStatusCodeMapping(t *testing.T) {
	cases := map[int]codes.Code{
		400: codes.InvalidArgument, 401: codes.Unauthenticated, 403: codes.PermissionDenied,
		404: codes.NotFound, 409: codes.AlreadyExists, 413: codes.ResourceExhausted,
		429: codes.ResourceExhausted, 501: codes.Unimplemented, 503: codes.Unavailable,
		500: codes.Internal, 418: codes.Internal, 0: codes.Internal,
	}
	for httpCode, want := range cases {
		assert.Equal(t, want, codeFor(httpCode), "status %d", httpCode)
	}
	assert.NoError(t, statusErr(nil))
	assert.NoError(t, statusFromError(nil))
	var typedNil *model.AppError
	assert.NoError(t, statusFromError(typedNil))
	assert.Equal(t, codes.Internal, status.Code(statusFromError(errors.New("boom"))))
}

func TestKVEmbeddedErrors(t *testing.T) {
	api, c := newClient(t)
	ctx := context.Background()

	api.On("KVGet", "present").Return([]byte("v1"), nil).Once()
	api.On("KVGet", "broken").Return(nil, model.NewAppError("KVGet", "app.plugin_store.get.app_error", nil, "db down", 500)).Once()
	got, err := c.KVGet(ctx, &pb.KVGetRequest{Key: "present"})
	require.NoError(t, err)
	assert.Equal(t, []byte("v1"), got.Value)
	assert.Nil(t, got.Error)

	got, err = c.KVGet(ctx, &pb.KVGetRequest{Key: "broken"})
	require.NoError(t, err, "KV errors are embedded, the gRPC status stays OK")
	require.NotNil(t, got.Error)
	assert.Equal(t, "app.plugin_store.get.app_error", got.Error.Id)
	assert.EqualValues(t, 500, got.Error.StatusCode)
	assert.Equal(t, "db down", got.Error.DetailedError)

	// Empty bytes reach Go as nil: empty value = delete, empty old value = insert-if-absent.
	api.On("KVSet", "k", []byte(nil)).Return(nil).Once()
	_, err = c.KVSet(ctx, &pb.KVSetRequest{Key: "k"})
	require.NoError(t, err)

	api.On("KVSetWithOptions", "claim", []byte("me"), model.PluginKVSetOptions{Atomic: true, OldValue: nil, ExpireInSeconds: 0}).Return(false, nil).Once()
	so, err := c.KVSetWithOptions(ctx, &pb.KVSetWithOptionsRequest{Key: "claim", Value: []byte("me"), Options: &pb.PluginKVSetOptions{Atomic: true}})
	require.NoError(t, err)
	assert.False(t, so.Success)

	api.On("KVCompareAndSet", "k", []byte(nil), []byte("new")).Return(true, nil).Once()
	cas, err := c.KVCompareAndSet(ctx, &pb.KVCompareAndSetRequest{Key: "k", NewValue: []byte("new")})
	require.NoError(t, err)
	assert.True(t, cas.Success)

	api.On("KVCompareAndDelete", "k", []byte("old")).Return(true, nil).Once()
	cad, err := c.KVCompareAndDelete(ctx, &pb.KVCompareAndDeleteRequest{Key: "k", OldValue: []byte("old")})
	require.NoError(t, err)
	assert.True(t, cad.Success)

	api.On("KVSetWithExpiry", "lock", []byte{1}, int64(15)).Return(nil).Once()
	_, err = c.KVSetWithExpiry(ctx, &pb.KVSetWithExpiryRequest{Key: "lock", Value: []byte{1}, ExpireInSeconds: 15})
	require.NoError(t, err)

	api.On("KVList", 2, 50).Return([]string{"a", "b"}, nil).Once()
	list, err := c.KVList(ctx, &pb.KVListRequest{Page: 2, PerPage: 50})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, list.Keys)

	api.On("KVDelete", "k").Return(model.NewAppError("KVDelete", "kv.delete", nil, "", 500)).Once()
	del, err := c.KVDelete(ctx, &pb.KVDeleteRequest{Key: "k"})
	require.NoError(t, err)
	assert.Equal(t, "kv.delete", del.Error.GetId())

	api.On("KVDeleteAll").Return(nil).Once()
	da, err := c.KVDeleteAll(ctx, &pb.KVDeleteAllRequest{})
	require.NoError(t, err)
	assert.Nil(t, da.Error)
}

func TestPostsEmbeddedErrorsAndProps(t *testing.T) {
	api, c := newClient(t)
	ctx := context.Background()

	// Props as the server may hold them after parsing: typed attachments, which structpb alone
	// cannot convert. They must arrive as JSON data.
	stored := &model.Post{Id: "p1", ChannelId: "c1", UserId: "bot", Message: "hi", CreateAt: 7}
	stored.SetProps(model.StringInterface{
		"attachments": []*model.MessageAttachment{{Text: "att", Actions: []*model.PostAction{{Id: "claim", Name: "Claim"}}}},
		"escalation":  "e1",
		"count":       3,
	})
	api.On("CreatePost", mock.MatchedBy(func(p *model.Post) bool {
		props := p.GetProps()
		atts, _ := props["attachments"].([]any)
		return p.ChannelId == "c1" && p.UserId == "bot" && len(atts) == 1 && props["n"] == float64(2)
	})).Return(stored, nil).Once()
	in, err := structpb.NewStruct(map[string]any{"attachments": []any{map[string]any{"text": "att"}}, "n": 2})
	require.NoError(t, err)
	resp, err := c.CreatePost(ctx, &pb.CreatePostRequest{Post: &pb.Post{ChannelId: "c1", UserId: "bot", Message: "hi", Props: in}})
	require.NoError(t, err)
	require.Nil(t, resp.Error)
	assert.Equal(t, "p1", resp.Post.Id)
	assert.EqualValues(t, 7, resp.Post.CreateAt)
	props := resp.Post.Props.AsMap()
	assert.Equal(t, "e1", props["escalation"])
	assert.Equal(t, float64(3), props["count"])
	atts := props["attachments"].([]any)
	assert.Equal(t, "att", atts[0].(map[string]any)["text"])
	assert.Equal(t, "claim", atts[0].(map[string]any)["actions"].([]any)[0].(map[string]any)["id"])

	api.On("GetPost", "missing").Return(nil, notFound("app.post.get.app_error")).Once()
	gp, err := c.GetPost(ctx, &pb.GetPostRequest{PostId: "missing"})
	require.NoError(t, err, "post errors are embedded")
	assert.Equal(t, "app.post.get.app_error", gp.Error.GetId())
	assert.EqualValues(t, 404, gp.Error.GetStatusCode())
	assert.Nil(t, gp.Post)

	api.On("UpdatePost", mock.MatchedBy(func(p *model.Post) bool { return p.Id == "p1" && p.Message == "edited" })).Return(&model.Post{Id: "p1", Message: "edited"}, nil).Once()
	up, err := c.UpdatePost(ctx, &pb.UpdatePostRequest{Post: &pb.Post{Id: "p1", Message: "edited"}})
	require.NoError(t, err)
	assert.Equal(t, "edited", up.Post.Message)

	api.On("DeletePost", "p1").Return(nil).Once()
	_, err = c.DeletePost(ctx, &pb.DeletePostRequest{PostId: "p1"})
	require.NoError(t, err)

	hasNext := true
	api.On("GetPostThread", "p1").Return(&model.PostList{
		Order: []string{"p1", "p2"}, Posts: map[string]*model.Post{"p1": {Id: "p1"}, "p2": {Id: "p2", RootId: "p1"}},
		HasNext: &hasNext,
	}, nil).Once()
	th, err := c.GetPostThread(ctx, &pb.GetPostThreadRequest{PostId: "p1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"p1", "p2"}, th.PostList.Order)
	assert.Equal(t, "p1", th.PostList.Posts["p2"].RootId)
	assert.True(t, th.PostList.HasNext)

	api.On("GetPostsSince", "c1", int64(1700000000000)).Return(&model.PostList{
		Order: []string{"p3"}, Posts: map[string]*model.Post{"p3": {Id: "p3", DeleteAt: 5, Props: model.StringInterface{"k": "v"}}},
	}, nil).Once()
	since, err := c.GetPostsSince(ctx, &pb.GetPostsSinceRequest{ChannelId: "c1", Time: 1700000000000})
	require.NoError(t, err)
	assert.Equal(t, []string{"p3"}, since.PostList.Order)
	assert.Equal(t, int64(5), since.PostList.Posts["p3"].DeleteAt)
	assert.Equal(t, "v", since.PostList.Posts["p3"].Props.AsMap()["k"])

	api.On("GetPostsSince", "gone", int64(0)).Return(nil, model.NewAppError("GetPostsSince", "app.post.get_posts_since.app_error", nil, "", 500)).Once()
	failed, err := c.GetPostsSince(ctx, &pb.GetPostsSinceRequest{ChannelId: "gone"})
	require.NoError(t, err)
	assert.Equal(t, "app.post.get_posts_since.app_error", failed.Error.Id)

	api.On("SendEphemeralPost", "u1", mock.MatchedBy(func(p *model.Post) bool { return p.Message == "only you" })).Return(&model.Post{Id: "e1", Message: "only you"}).Once()
	ep, err := c.SendEphemeralPost(ctx, &pb.SendEphemeralPostRequest{UserId: "u1", Post: &pb.Post{ChannelId: "c1", Message: "only you"}})
	require.NoError(t, err)
	assert.Equal(t, "e1", ep.Post.Id)

	api.On("UpdateEphemeralPost", "u1", mock.Anything).Return(&model.Post{Id: "e1", Message: "changed"}).Once()
	uep, err := c.UpdateEphemeralPost(ctx, &pb.UpdateEphemeralPostRequest{UserId: "u1", Post: &pb.Post{Id: "e1", Message: "changed"}})
	require.NoError(t, err)
	assert.Equal(t, "changed", uep.Post.Message)

	api.On("DeleteEphemeralPost", "u1", "e1").Return().Once()
	_, err = c.DeleteEphemeralPost(ctx, &pb.DeleteEphemeralPostRequest{UserId: "u1", PostId: "e1"})
	require.NoError(t, err)
}

func TestUsersTeamsChannelsStatusErrors(t *testing.T) {
	api, c := newClient(t)
	ctx := context.Background()

	api.On("GetUser", "u1").Return(&model.User{Id: "u1", Username: "alex", Password: "hash", MfaSecret: "s", Props: model.StringMap{"a": "b"}}, nil).Once()
	u, err := c.GetUser(ctx, &pb.GetUserRequest{UserId: "u1"})
	require.NoError(t, err)
	assert.Equal(t, "alex", u.User.Username)
	assert.Equal(t, "b", u.User.Props["a"])
	assert.Empty(t, u.User.Password, "secrets are never sent")
	assert.Empty(t, u.User.MfaSecret)

	api.On("GetUserByUsername", "nobody").Return(nil, notFound("app.user.missing_account.const")).Once()
	_, err = c.GetUserByUsername(ctx, &pb.GetUserByUsernameRequest{Name: "nobody"})
	requireStatus(t, err, codes.NotFound, "app.user.missing_account.const: app.user.missing_account.const")

	api.On("GetUsersByUsernames", []string{"a", "b"}).Return([]*model.User{{Id: "1"}, {Id: "2"}}, nil).Once()
	us, err := c.GetUsersByUsernames(ctx, &pb.GetUsersByUsernamesRequest{Usernames: []string{"a", "b"}})
	require.NoError(t, err)
	assert.Len(t, us.Users, 2)

	api.On("GetUsersByIds", []string{"1"}).Return(nil, model.NewAppError("X", "denied", nil, "", 403)).Once()
	_, err = c.GetUsersByIds(ctx, &pb.GetUsersByIdsRequest{UserIds: []string{"1"}})
	requireStatus(t, err, codes.PermissionDenied, "denied: denied")

	api.On("GetUserByEmail", "a@example.com").Return(&model.User{Id: "1", Email: "a@example.com"}, nil).Once()
	ue, err := c.GetUserByEmail(ctx, &pb.GetUserByEmailRequest{Email: "a@example.com"})
	require.NoError(t, err)
	assert.Equal(t, "1", ue.User.Id)

	api.On("GetChannel", "c1").Return(&model.Channel{Id: "c1", Type: model.ChannelTypePrivate, Name: "esc"}, nil).Once()
	ch, err := c.GetChannel(ctx, &pb.GetChannelRequest{ChannelId: "c1"})
	require.NoError(t, err)
	assert.Equal(t, pb.ChannelType_CHANNEL_TYPE_PRIVATE, ch.Channel.Type)

	api.On("GetChannelByName", "t1", "esc", false).Return(nil, notFound("app.channel.get_by_name.missing.app_error")).Once()
	_, err = c.GetChannelByName(ctx, &pb.GetChannelByNameRequest{TeamId: "t1", Name: "esc"})
	requireStatus(t, err, codes.NotFound, "app.channel.get_by_name.missing.app_error: app.channel.get_by_name.missing.app_error")

	api.On("GetChannelByNameForTeamName", "core", "esc", true).Return(&model.Channel{Id: "c1", Type: model.ChannelTypeOpen}, nil).Once()
	cn, err := c.GetChannelByNameForTeamName(ctx, &pb.GetChannelByNameForTeamNameRequest{TeamName: "core", ChannelName: "esc", IncludeDeleted: true})
	require.NoError(t, err)
	assert.Equal(t, pb.ChannelType_CHANNEL_TYPE_OPEN, cn.Channel.Type)

	api.On("GetDirectChannel", "u1", "u2").Return(&model.Channel{Id: "dm", Type: model.ChannelTypeDirect}, nil).Once()
	dm, err := c.GetDirectChannel(ctx, &pb.GetDirectChannelRequest{UserId_1: "u1", UserId_2: "u2"})
	require.NoError(t, err)
	assert.Equal(t, pb.ChannelType_CHANNEL_TYPE_DIRECT, dm.Channel.Type)

	api.On("CreateChannel", mock.MatchedBy(func(ch *model.Channel) bool {
		return ch.Type == model.ChannelTypePrivate && ch.Name == "esc" && ch.TeamId == "t1"
	})).Return(nil, model.NewAppError("CreateChannel", "store.sql_channel.save_channel.exists.app_error", nil, "", 400)).Once()
	_, err = c.CreateChannel(ctx, &pb.CreateChannelRequest{Channel: &pb.Channel{TeamId: "t1", Name: "esc", Type: pb.ChannelType_CHANNEL_TYPE_PRIVATE}})
	requireStatus(t, err, codes.InvalidArgument, "store.sql_channel.save_channel.exists.app_error: store.sql_channel.save_channel.exists.app_error")

	_, err = c.CreateChannel(ctx, &pb.CreateChannelRequest{})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))

	api.On("AddChannelMember", "c1", "u1").Return(&model.ChannelMember{ChannelId: "c1", UserId: "u1", SchemeUser: true}, nil).Once()
	m, err := c.AddChannelMember(ctx, &pb.AddChannelMemberRequest{ChannelId: "c1", UserId: "u1"})
	require.NoError(t, err)
	assert.True(t, m.ChannelMember.SchemeUser)

	api.On("AddUserToChannel", "c1", "u1", "bot").Return(nil, model.NewAppError("X", "conflict", nil, "", 409)).Once()
	_, err = c.AddUserToChannel(ctx, &pb.AddUserToChannelRequest{ChannelId: "c1", UserId: "u1", AsUserId: "bot"})
	requireStatus(t, err, codes.AlreadyExists, "conflict: conflict")

	api.On("GetChannelMember", "c1", "u9").Return(nil, notFound("app.channel.get_member.missing.app_error")).Once()
	_, err = c.GetChannelMember(ctx, &pb.GetChannelMemberRequest{ChannelId: "c1", UserId: "u9"})
	assert.Equal(t, codes.NotFound, status.Code(err))

	api.On("GetChannelMembers", "c1", 0, 200).Return(model.ChannelMembers{{ChannelId: "c1", UserId: "u1"}, {ChannelId: "c1", UserId: "u2"}}, nil).Once()
	ms, err := c.GetChannelMembers(ctx, &pb.GetChannelMembersRequest{ChannelId: "c1", Page: 0, PerPage: 200})
	require.NoError(t, err)
	require.Len(t, ms.ChannelMembers, 2)
	assert.Equal(t, "u2", ms.ChannelMembers[1].UserId)

	api.On("DeleteChannelMember", "c1", "u2").Return(nil).Once()
	_, err = c.DeleteChannelMember(ctx, &pb.DeleteChannelMemberRequest{ChannelId: "c1", UserId: "u2"})
	require.NoError(t, err)
	api.On("DeleteChannelMember", "c1", "u9").Return(notFound("app.channel.get_member.missing.app_error")).Once()
	_, err = c.DeleteChannelMember(ctx, &pb.DeleteChannelMemberRequest{ChannelId: "c1", UserId: "u9"})
	assert.Equal(t, codes.NotFound, status.Code(err))

	api.On("GetTeam", "t1").Return(&model.Team{Id: "t1", Name: "core", Type: model.TeamInvite}, nil).Once()
	tm, err := c.GetTeam(ctx, &pb.GetTeamRequest{TeamId: "t1"})
	require.NoError(t, err)
	assert.Equal(t, pb.TeamType_TEAM_TYPE_INVITE, tm.Team.Type)

	api.On("GetTeamByName", "nope").Return(nil, notFound("app.team.get_by_name.missing.app_error")).Once()
	_, err = c.GetTeamByName(ctx, &pb.GetTeamByNameRequest{Name: "nope"})
	assert.Equal(t, codes.NotFound, status.Code(err))
}

func TestBotsCommandsDialogsConfig(t *testing.T) {
	api, c := newClient(t)
	ctx := context.Background()

	_, err := c.EnsureBotUser(ctx, &pb.EnsureBotUserRequest{})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "a missing bot is INVALID_ARGUMENT")

	api.On("EnsureBotUser", &model.Bot{Username: "escalations", DisplayName: "Escalations"}).Return("bot1", nil).Once()
	b, err := c.EnsureBotUser(ctx, &pb.EnsureBotUserRequest{Bot: &pb.Bot{Username: "escalations", DisplayName: "Escalations"}})
	require.NoError(t, err)
	assert.Equal(t, "bot1", b.BotUserId)

	api.On("EnsureBotUser", mock.Anything).Return("", errors.New("failed to ensure bot")).Once()
	_, err = c.EnsureBotUser(ctx, &pb.EnsureBotUserRequest{Bot: &pb.Bot{Username: "x"}})
	requireStatus(t, err, codes.Internal, "failed to ensure bot")

	api.On("RegisterCommand", &model.Command{Trigger: "escalation", AutoComplete: true, AutoCompleteDesc: "d"}).Return(nil).Once()
	_, err = c.RegisterCommand(ctx, &pb.RegisterCommandRequest{Command: &pb.Command{Trigger: "escalation", AutoComplete: true, AutoCompleteDesc: "d"}})
	require.NoError(t, err)

	api.On("UnregisterCommand", "", "escalation").Return(model.NewAppError("X", "cmd.missing", nil, "", 404)).Once()
	_, err = c.UnregisterCommand(ctx, &pb.UnregisterCommandRequest{Trigger: "escalation"})
	requireStatus(t, err, codes.NotFound, "cmd.missing: cmd.missing")

	api.On("OpenInteractiveDialog", mock.MatchedBy(func(d model.OpenDialogRequest) bool {
		return d.TriggerId == "tr" && d.URL == "/plugins/x/dialog" && len(d.Dialog.Elements) == 1 &&
			d.Dialog.Elements[0].Options[1].Value == "b" && d.Dialog.Elements[0].MaxLength == 30
	})).Return(model.NewAppError("X", "bad.trigger", nil, "", 400)).Once()
	_, err = c.OpenInteractiveDialog(ctx, &pb.OpenInteractiveDialogRequest{Dialog: &pb.OpenDialogRequest{
		TriggerId: "tr", Url: "/plugins/x/dialog", Dialog: &pb.Dialog{Title: "t", Elements: []*pb.DialogElement{{
			Name: "topic", Type: "select", MaxLength: 30,
			Options: []*pb.DialogElementOption{{Text: "A", Value: "a"}, {Text: "B", Value: "b"}},
		}}},
	}})
	requireStatus(t, err, codes.InvalidArgument, "bad.trigger: bad.trigger")

	cfg := &model.Config{}
	cfg.SetDefaults()
	api.On("GetConfig").Return(cfg).Once()
	gc, err := c.GetConfig(ctx, &pb.GetConfigRequest{})
	require.NoError(t, err)
	var decoded map[string]any
	require.NoError(t, json.Unmarshal(gc.ConfigJson, &decoded))
	assert.Contains(t, decoded, "ServiceSettings")

	api.On("GetPluginConfig").Return(map[string]any{"TeamName": "core", "ExcerptMaxChars": 500}).Once()
	pc, err := c.GetPluginConfig(ctx, &pb.GetPluginConfigRequest{})
	require.NoError(t, err)
	assert.Equal(t, "core", pc.Config.AsMap()["TeamName"])
	assert.Equal(t, float64(500), pc.Config.AsMap()["ExcerptMaxChars"])

	api.On("LoadPluginConfiguration", mock.Anything).Run(func(args mock.Arguments) {
		*(args.Get(0).(*map[string]any)) = map[string]any{"ChannelName": "esc"}
	}).Return(nil).Once()
	lc, err := c.LoadPluginConfiguration(ctx, &pb.LoadPluginConfigurationRequest{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"ChannelName":"esc"}`, string(lc.ConfigJson))

	api.On("SavePluginConfig", map[string]any{"TeamName": "x"}).Return(model.NewAppError("X", "save.failed", nil, "", 500)).Once()
	st, err := structpb.NewStruct(map[string]any{"TeamName": "x"})
	require.NoError(t, err)
	_, err = c.SavePluginConfig(ctx, &pb.SavePluginConfigRequest{Config: st})
	requireStatus(t, err, codes.Internal, "save.failed: save.failed")

	api.On("GetBundlePath").Return("/plugins/x", nil).Once()
	bp, err := c.GetBundlePath(ctx, &pb.GetBundlePathRequest{})
	require.NoError(t, err)
	assert.Equal(t, "/plugins/x", bp.Path)

	api.On("GetServerVersion").Return("11.4.0").Once()
	sv, err := c.GetServerVersion(ctx, &pb.GetServerVersionRequest{})
	require.NoError(t, err)
	assert.Equal(t, "11.4.0", sv.Version)
}

func TestWebSocketPermissionsLogging(t *testing.T) {
	api, c := newClient(t)
	ctx := context.Background()

	api.On("PublishWebSocketEvent", "escalation_updated", map[string]any{"id": "e1", "n": float64(1)},
		&model.WebsocketBroadcast{UserId: "u1", OmitUsers: map[string]bool{"u2": true}, ReliableClusterSend: true}).Return().Once()
	payload, err := structpb.NewStruct(map[string]any{"id": "e1", "n": 1})
	require.NoError(t, err)
	_, err = c.PublishWebSocketEvent(ctx, &pb.PublishWebSocketEventRequest{Event: "escalation_updated", Payload: payload,
		Broadcast: &pb.WebsocketBroadcast{UserId: "u1", OmitUsers: []string{"u2"}, ReliableClusterSend: true}})
	require.NoError(t, err)

	api.On("HasPermissionTo", "u1", model.PermissionManageSystem).Return(true).Once()
	hp, err := c.HasPermissionTo(ctx, &pb.HasPermissionToRequest{UserId: "u1", PermissionId: "manage_system"})
	require.NoError(t, err)
	assert.True(t, hp.HasPermission)

	api.On("HasPermissionToTeam", "u1", "t1", &model.Permission{Id: "made_up"}).Return(false).Once()
	ht, err := c.HasPermissionToTeam(ctx, &pb.HasPermissionToTeamRequest{UserId: "u1", TeamId: "t1", PermissionId: "made_up"})
	require.NoError(t, err)
	assert.False(t, ht.HasPermission)

	api.On("HasPermissionToChannel", "u1", "c1", model.PermissionReadChannel).Return(true).Once()
	hc, err := c.HasPermissionToChannel(ctx, &pb.HasPermissionToChannelRequest{UserId: "u1", ChannelId: "c1", PermissionId: "read_channel"})
	require.NoError(t, err)
	assert.True(t, hc.HasPermission)

	api.On("LogInfo", "claimed", "escalation", "e1", "count", float64(2)).Return().Once()
	api.On("LogError", "plain").Return().Once()
	api.On("LogWarn", "w").Return().Once()
	api.On("LogDebug", "d", "k", nil).Return().Once()
	_, err = c.LogInfo(ctx, &pb.LogInfoRequest{Msg: "claimed", KeyValuePairs: []*pb.KeyValuePair{
		{Key: "escalation", Value: structpb.NewStringValue("e1")}, {Key: "count", Value: structpb.NewNumberValue(2)},
	}})
	require.NoError(t, err)
	_, err = c.LogError(ctx, &pb.LogErrorRequest{Msg: "plain"})
	require.NoError(t, err)
	_, err = c.LogWarn(ctx, &pb.LogWarnRequest{Msg: "w"})
	require.NoError(t, err)
	_, err = c.LogDebug(ctx, &pb.LogDebugRequest{Msg: "d", KeyValuePairs: []*pb.KeyValuePair{{Key: "k"}}})
	require.NoError(t, err)
}
