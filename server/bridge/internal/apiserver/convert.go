package apiserver

// Conversions between the stock Go plugin API's model types and our wire messages. Field
// numbers follow upstream (docs/protocol.md §4.2); only the fields our protos carry are mapped.
//
// Free-form maps (post props, channel props, plugin config, WebSocket payloads) travel as
// google.protobuf.Struct. The server may hand us props holding typed Go values (e.g. parsed
// attachments), which structpb cannot take directly, so they go through a JSON round trip first:
// the Python side sees what a REST client would see instead of losing the props.

import (
	"encoding/json"

	"github.com/mattermost/mattermost/server/public/model"
	"google.golang.org/protobuf/types/known/structpb"

	pb "community-escalations/bridge/internal/pluginapiv1"
)

// jsonSafeMap returns m with every value reduced to JSON types (map, slice, string, float64, bool, nil).
func jsonSafeMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil
	}
	return out
}

// toStruct converts a Go map to a Struct; nil or unconvertible maps give nil.
func toStruct(m map[string]any) *structpb.Struct {
	if m == nil {
		return nil
	}
	s, err := structpb.NewStruct(jsonSafeMap(m))
	if err != nil {
		return nil
	}
	return s
}

// fromStruct converts a Struct to a Go map (numbers are float64); nil gives nil.
func fromStruct(s *structpb.Struct) map[string]any {
	if s == nil {
		return nil
	}
	return s.AsMap()
}

func emptyToNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// ---- posts ----

// PostToProto converts a model.Post (API side: with props).
func PostToProto(p *model.Post) *pb.Post {
	if p == nil {
		return nil
	}
	out := &pb.Post{
		Id: p.Id, CreateAt: p.CreateAt, UpdateAt: p.UpdateAt, EditAt: p.EditAt, DeleteAt: p.DeleteAt,
		IsPinned: p.IsPinned, UserId: p.UserId, ChannelId: p.ChannelId, RootId: p.RootId,
		OriginalId: p.OriginalId, Message: p.Message, MessageSource: p.MessageSource, Type: p.Type,
		Props: toStruct(p.GetProps()), Hashtags: p.Hashtags, FileIds: []string(p.FileIds),
		PendingPostId: p.PendingPostId, HasReactions: p.HasReactions, RemoteId: p.RemoteId,
		ReplyCount: p.ReplyCount, LastReplyAt: p.LastReplyAt, IsFollowing: p.IsFollowing,
	}
	for _, u := range p.Participants {
		out.Participants = append(out.Participants, UserToProto(u))
	}
	return out
}

// HookPostToProto converts a post for a hook message: like upstream's hook client it carries
// no props and no metadata (docs/protocol.md §3.3).
func HookPostToProto(p *model.Post) *pb.Post {
	out := PostToProto(p)
	if out != nil {
		out.Props = nil
		out.Participants = nil
	}
	return out
}

// PostFromProto converts a wire post into a model.Post.
func PostFromProto(p *pb.Post) *model.Post {
	if p == nil {
		return nil
	}
	out := &model.Post{
		Id: p.Id, CreateAt: p.CreateAt, UpdateAt: p.UpdateAt, EditAt: p.EditAt, DeleteAt: p.DeleteAt,
		IsPinned: p.IsPinned, UserId: p.UserId, ChannelId: p.ChannelId, RootId: p.RootId,
		OriginalId: p.OriginalId, Message: p.Message, MessageSource: p.MessageSource, Type: p.Type,
		Hashtags: p.Hashtags, FileIds: model.StringArray(p.FileIds), PendingPostId: p.PendingPostId,
		HasReactions: p.HasReactions, RemoteId: p.RemoteId, ReplyCount: p.ReplyCount,
		LastReplyAt: p.LastReplyAt, IsFollowing: p.IsFollowing,
	}
	if props := fromStruct(p.Props); props != nil {
		out.SetProps(props)
	}
	return out
}

// PostListToProto converts a thread.
func PostListToProto(l *model.PostList) *pb.PostList {
	if l == nil {
		return nil
	}
	out := &pb.PostList{
		Order: l.Order, NextPostId: l.NextPostId, PrevPostId: l.PrevPostId,
		FirstInaccessiblePostTime: l.FirstInaccessiblePostTime != 0,
		Posts:                     make(map[string]*pb.Post, len(l.Posts)),
	}
	if l.HasNext != nil {
		out.HasNext = *l.HasNext
	}
	for id, p := range l.Posts {
		out.Posts[id] = PostToProto(p)
	}
	return out
}

// ---- users ----

// UserToProto converts a user. Secrets (password hash, MFA secret) are never sent.
func UserToProto(u *model.User) *pb.User {
	if u == nil {
		return nil
	}
	return &pb.User{
		Id: u.Id, CreateAt: u.CreateAt, UpdateAt: u.UpdateAt, DeleteAt: u.DeleteAt,
		Username: u.Username, AuthData: u.AuthData, AuthService: u.AuthService, Email: u.Email,
		EmailVerified: u.EmailVerified, Nickname: u.Nickname, FirstName: u.FirstName,
		LastName: u.LastName, Position: u.Position, Roles: u.Roles, AllowMarketing: u.AllowMarketing,
		Props: u.Props, NotifyProps: u.NotifyProps, LastPasswordUpdate: u.LastPasswordUpdate,
		LastPictureUpdate: u.LastPictureUpdate, FailedAttempts: int32(u.FailedAttempts),
		Locale: u.Locale, Timezone: u.Timezone, MfaActive: u.MfaActive, RemoteId: u.RemoteId,
		LastActivityAt: u.LastActivityAt, IsBot: u.IsBot, BotDescription: u.BotDescription,
		BotLastIconUpdate: u.BotLastIconUpdate, TermsOfServiceId: u.TermsOfServiceId,
		TermsOfServiceCreateAt: u.TermsOfServiceCreateAt, DisableWelcomeEmail: u.DisableWelcomeEmail,
		LastLogin: u.LastLogin,
	}
}

func usersToProto(us []*model.User) []*pb.User {
	out := make([]*pb.User, 0, len(us))
	for _, u := range us {
		out = append(out, UserToProto(u))
	}
	return out
}

// ---- channels ----

var channelTypeToProto = map[model.ChannelType]pb.ChannelType{
	model.ChannelTypeOpen:    pb.ChannelType_CHANNEL_TYPE_OPEN,
	model.ChannelTypePrivate: pb.ChannelType_CHANNEL_TYPE_PRIVATE,
	model.ChannelTypeDirect:  pb.ChannelType_CHANNEL_TYPE_DIRECT,
	model.ChannelTypeGroup:   pb.ChannelType_CHANNEL_TYPE_GROUP,
}

var channelTypeFromProto = map[pb.ChannelType]model.ChannelType{
	pb.ChannelType_CHANNEL_TYPE_OPEN:    model.ChannelTypeOpen,
	pb.ChannelType_CHANNEL_TYPE_PRIVATE: model.ChannelTypePrivate,
	pb.ChannelType_CHANNEL_TYPE_DIRECT:  model.ChannelTypeDirect,
	pb.ChannelType_CHANNEL_TYPE_GROUP:   model.ChannelTypeGroup,
}

// ChannelToProto converts a channel.
func ChannelToProto(c *model.Channel) *pb.Channel {
	if c == nil {
		return nil
	}
	return &pb.Channel{
		Id: c.Id, CreateAt: c.CreateAt, UpdateAt: c.UpdateAt, DeleteAt: c.DeleteAt, TeamId: c.TeamId,
		Type: channelTypeToProto[c.Type], DisplayName: c.DisplayName, Name: c.Name, Header: c.Header,
		Purpose: c.Purpose, LastPostAt: c.LastPostAt, TotalMsgCount: c.TotalMsgCount,
		ExtraUpdateAt: c.ExtraUpdateAt, CreatorId: c.CreatorId, SchemeId: c.SchemeId,
		Props: toStruct(c.Props), GroupConstrained: c.GroupConstrained,
		AutoTranslation: c.AutoTranslation, Shared: c.Shared, TotalMsgCountRoot: c.TotalMsgCountRoot,
		PolicyId: c.PolicyID, LastRootPostAt: c.LastRootPostAt, PolicyEnforced: c.PolicyEnforced,
		PolicyIsActive: c.PolicyIsActive, DefaultCategoryName: c.DefaultCategoryName,
	}
}

// ChannelFromProto converts a wire channel (for CreateChannel).
func ChannelFromProto(c *pb.Channel) *model.Channel {
	if c == nil {
		return nil
	}
	return &model.Channel{
		Id: c.Id, CreateAt: c.CreateAt, UpdateAt: c.UpdateAt, DeleteAt: c.DeleteAt, TeamId: c.TeamId,
		Type: channelTypeFromProto[c.Type], DisplayName: c.DisplayName, Name: c.Name, Header: c.Header,
		Purpose: c.Purpose, LastPostAt: c.LastPostAt, TotalMsgCount: c.TotalMsgCount,
		ExtraUpdateAt: c.ExtraUpdateAt, CreatorId: c.CreatorId, SchemeId: c.SchemeId,
		Props: fromStruct(c.Props), GroupConstrained: c.GroupConstrained,
		AutoTranslation: c.AutoTranslation, Shared: c.Shared, TotalMsgCountRoot: c.TotalMsgCountRoot,
		PolicyID: c.PolicyId, LastRootPostAt: c.LastRootPostAt, PolicyEnforced: c.PolicyEnforced,
		PolicyIsActive: c.PolicyIsActive, DefaultCategoryName: c.DefaultCategoryName,
	}
}

// ChannelMemberToProto converts a membership.
func ChannelMemberToProto(m *model.ChannelMember) *pb.ChannelMember {
	if m == nil {
		return nil
	}
	return &pb.ChannelMember{
		ChannelId: m.ChannelId, UserId: m.UserId, Roles: m.Roles, LastViewedAt: m.LastViewedAt,
		MsgCount: m.MsgCount, MentionCount: m.MentionCount, MentionCountRoot: m.MentionCountRoot,
		MsgCountRoot: m.MsgCountRoot, NotifyProps: m.NotifyProps, LastUpdateAt: m.LastUpdateAt,
		SchemeGuest: m.SchemeGuest, SchemeUser: m.SchemeUser, SchemeAdmin: m.SchemeAdmin,
		UrgentMentionCount: m.UrgentMentionCount,
	}
}

// ---- teams ----

// TeamToProto converts a team.
func TeamToProto(t *model.Team) *pb.Team {
	if t == nil {
		return nil
	}
	out := &pb.Team{
		Id: t.Id, CreateAt: t.CreateAt, UpdateAt: t.UpdateAt, DeleteAt: t.DeleteAt,
		DisplayName: t.DisplayName, Name: t.Name, Description: t.Description, Email: t.Email,
		CompanyName: t.CompanyName, AllowedDomains: t.AllowedDomains, InviteId: t.InviteId,
		AllowOpenInvite: t.AllowOpenInvite, LastTeamIconUpdate: t.LastTeamIconUpdate,
		CloudLimitsArchived: t.CloudLimitsArchived,
	}
	switch t.Type {
	case model.TeamOpen:
		out.Type = pb.TeamType_TEAM_TYPE_OPEN
	case model.TeamInvite:
		out.Type = pb.TeamType_TEAM_TYPE_INVITE
	}
	if t.SchemeId != nil {
		out.SchemeId = *t.SchemeId
	}
	if t.GroupConstrained != nil {
		out.GroupConstrained = *t.GroupConstrained
	}
	if t.PolicyID != nil {
		out.PolicyId = *t.PolicyID
	}
	return out
}

// ---- bots, commands, dialogs ----

// BotFromProto converts a bot description for EnsureBotUser.
func BotFromProto(b *pb.Bot) *model.Bot {
	if b == nil {
		return nil
	}
	return &model.Bot{
		UserId: b.UserId, Username: b.Username, DisplayName: b.DisplayName,
		Description: b.Description, OwnerId: b.OwnerId, CreateAt: b.CreateAt,
		UpdateAt: b.UpdateAt, DeleteAt: b.DeleteAt, LastIconUpdate: b.LastIconUpdate,
	}
}

// CommandFromProto converts a slash command for RegisterCommand.
func CommandFromProto(c *pb.Command) *model.Command {
	if c == nil {
		return nil
	}
	return &model.Command{
		Id: c.Id, Token: c.Token, CreateAt: c.CreateAt, UpdateAt: c.UpdateAt, DeleteAt: c.DeleteAt,
		CreatorId: c.CreatorId, TeamId: c.TeamId, Trigger: c.Trigger, Method: c.Method,
		Username: c.Username, IconURL: c.IconUrl, AutoComplete: c.AutoComplete,
		AutoCompleteDesc: c.AutoCompleteDesc, AutoCompleteHint: c.AutoCompleteHint,
		DisplayName: c.DisplayName, Description: c.Description, URL: c.Url, PluginId: c.PluginId,
	}
}

// DialogRequestFromProto converts an OpenInteractiveDialog request.
func DialogRequestFromProto(d *pb.OpenDialogRequest) model.OpenDialogRequest {
	if d == nil {
		return model.OpenDialogRequest{}
	}
	out := model.OpenDialogRequest{TriggerId: d.TriggerId, URL: d.Url}
	if dlg := d.Dialog; dlg != nil {
		out.Dialog = model.Dialog{
			CallbackId: dlg.CallbackId, Title: dlg.Title, IntroductionText: dlg.IntroductionText,
			SubmitLabel: dlg.SubmitLabel, NotifyOnCancel: dlg.NotifyOnCancel, State: dlg.State,
			IconURL: dlg.IconUrl,
		}
		for _, e := range dlg.Elements {
			el := model.DialogElement{
				DisplayName: e.DisplayName, Name: e.Name, Type: e.Type, SubType: e.Subtype,
				Default: e.Default, Placeholder: e.Placeholder, HelpText: e.HelpText,
				Optional: e.Optional, MinLength: int(e.MinLength), MaxLength: int(e.MaxLength),
				DataSource: e.DataSource,
			}
			for _, o := range e.Options {
				el.Options = append(el.Options, &model.PostActionOptions{Text: o.Text, Value: o.Value})
			}
			out.Dialog.Elements = append(out.Dialog.Elements, el)
		}
	}
	return out
}

// BroadcastFromProto converts a WebSocket broadcast target.
func BroadcastFromProto(b *pb.WebsocketBroadcast) *model.WebsocketBroadcast {
	if b == nil {
		return &model.WebsocketBroadcast{}
	}
	out := &model.WebsocketBroadcast{
		UserId: b.UserId, ChannelId: b.ChannelId, TeamId: b.TeamId, ConnectionId: b.ConnectionId,
		ReliableClusterSend: b.ReliableClusterSend,
	}
	if len(b.OmitUsers) > 0 {
		out.OmitUsers = make(map[string]bool, len(b.OmitUsers))
		for _, u := range b.OmitUsers {
			out.OmitUsers[u] = true
		}
	}
	return out
}

// ---- hook-side messages ----

// CommandArgsToProto fills what upstream's hook client fills (1-8; docs/protocol.md §3.3).
func CommandArgsToProto(a *model.CommandArgs) *pb.CommandArgs {
	if a == nil {
		return nil
	}
	return &pb.CommandArgs{
		UserId: a.UserId, ChannelId: a.ChannelId, TeamId: a.TeamId, RootId: a.RootId,
		ParentId: a.ParentId, TriggerId: a.TriggerId, Command: a.Command, SiteUrl: a.SiteURL,
	}
}

// CommandResponseFromProto reads back what upstream reads (type and attachments ignored).
func CommandResponseFromProto(r *pb.CommandResponse) *model.CommandResponse {
	if r == nil {
		return nil
	}
	out := &model.CommandResponse{
		ResponseType: r.ResponseType, Text: r.Text, Username: r.Username, ChannelId: r.ChannelId,
		IconURL: r.IconUrl, GotoLocation: r.GotoLocation, TriggerId: r.TriggerId,
		SkipSlackParsing: r.SkipSlackParsing,
	}
	if props := fromStruct(r.Props); props != nil {
		out.Props = props
	}
	return out
}

// AppErrorFromProto converts a hook's embedded error; nil or an empty id means no error.
func AppErrorFromProto(e *pb.AppError, where string) *model.AppError {
	if e == nil || (e.Id == "" && e.Message == "") {
		return nil
	}
	code := int(e.StatusCode)
	if code == 0 {
		code = 500
	}
	id := e.Id
	if id == "" {
		id = "plugin.python.error"
	}
	appErr := model.NewAppError(where, id, fromStruct(e.Params), e.DetailedError, code)
	appErr.Message = e.Message
	if appErr.Message == "" {
		appErr.Message = id
	}
	appErr.SkipTranslation = true // our message is final; the server must not re-translate the id
	return appErr
}
