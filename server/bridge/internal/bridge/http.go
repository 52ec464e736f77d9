package bridge

// ServeHTTP forwarding (docs/protocol.md §6): the request goes to the backend as a ServeHTTP gRPC
// stream (init, then the body in 64 KiB chunks, body_complete on the last message) while the
// response stream is read concurrently. Headers arrive as the server set them: it has already
// removed any client-supplied Mattermost-User-Id and set its own for authenticated requests, so
// the header is passed through untouched.
//
// Response body chunks are written as they come, except that chunks are coalesced until 64 KiB,
// a `flush` flag or the end: the server's in-process writer for interactive actions keeps only
// the last Write (docs/protocol.md §7.3), so a small answer must reach it in one Write.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/mattermost/mattermost/server/public/plugin"

	pb "community-escalations/bridge/internal/pluginapiv1"
)

// ChunkSize is the body chunk size in both directions.
const ChunkSize = 64 << 10

func headersToProto(h http.Header) []*pb.HTTPHeader {
	out := make([]*pb.HTTPHeader, 0, len(h))
	for k, vs := range h {
		out = append(out, &pb.HTTPHeader{Key: k, Values: vs})
	}
	return out
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, `{"error":`+strconv.Quote(msg)+`}`)
}

// ServeHTTP forwards one HTTP request to the backend and streams the answer back.
func (p *Plugin) ServeHTTP(c *plugin.Context, w http.ResponseWriter, r *http.Request) {
	sess := p.current()
	if sess == nil {
		writeJSONError(w, http.StatusServiceUnavailable, "the plugin backend is restarting; try again in a moment")
		return
	}
	if !sess.implements("ServeHTTP") {
		http.NotFound(w, r)
		return
	}
	// The Go plugin RPC shim gives the request no server-side context, so a dying backend or
	// the end of this call is what cancels the stream.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() { // a dying backend must not leave the request hanging
		select {
		case <-sess.proc.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	stream, err := sess.hooks.ServeHTTP(ctx)
	if err != nil {
		writeJSONError(w, http.StatusBadGateway, "plugin backend unreachable: "+err.Error())
		return
	}
	sendErr := make(chan error, 1)
	go func() { sendErr <- sendRequest(stream, c, r) }()

	if err := receiveResponse(stream, w); err != nil {
		cancel()
		p.log("warn", "ServeHTTP forwarding failed", "error", err.Error(), "url", r.URL.String())
	}
	cancel()
	select {
	case err := <-sendErr:
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, context.Canceled) {
			p.log("debug", "ServeHTTP request stream ended early", "error", err.Error())
		}
	default:
		// Still reading the request body although the backend has answered (e.g. an early 413):
		// do not hold the response for it; the read ends when the server closes the body.
	}
}

// sendRequest streams init and body. The first body chunk rides with init, so a small request is
// one message.
func sendRequest(stream pb.PluginHooks_ServeHTTPClient, c *plugin.Context, r *http.Request) error {
	contentLength := r.ContentLength
	if contentLength == 0 {
		if n, err := strconv.ParseInt(r.Header.Get("Content-Length"), 10, 64); err == nil {
			contentLength = n
		}
	}
	url := ""
	if r.URL != nil {
		url = r.URL.String()
	}
	msg := &pb.ServeHTTPRequest{Init: &pb.ServeHTTPRequestInit{
		PluginContext: pluginContextToProto(c), Method: r.Method, Url: url, Proto: r.Proto,
		ProtoMajor: int32(r.ProtoMajor), ProtoMinor: int32(r.ProtoMinor), Headers: headersToProto(r.Header),
		Host: r.Host, RemoteAddr: r.RemoteAddr, RequestUri: r.RequestURI, ContentLength: contentLength,
	}}
	buf := make([]byte, ChunkSize)
	for {
		var n int
		var rerr error
		if r.Body != nil {
			n, rerr = io.ReadFull(r.Body, buf)
		} else {
			rerr = io.EOF
		}
		if n > 0 {
			msg.BodyChunk = append([]byte(nil), buf[:n]...)
		}
		done := errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)
		if rerr != nil && !done {
			_ = stream.CloseSend()
			return rerr
		}
		msg.BodyComplete = done
		if err := stream.Send(msg); err != nil {
			return err
		}
		if done {
			return stream.CloseSend()
		}
		msg = &pb.ServeHTTPRequest{}
	}
}

// receiveResponse reads the response stream into w.
func receiveResponse(stream pb.PluginHooks_ServeHTTPClient, w http.ResponseWriter) error {
	first, err := stream.Recv()
	if err != nil {
		writeJSONError(w, http.StatusBadGateway, "plugin backend failed to answer")
		return err
	}
	init := first.GetInit()
	if init == nil {
		writeJSONError(w, http.StatusInternalServerError, "plugin backend answered without a status")
		return errors.New("first ServeHTTP response message has no init")
	}
	code := int(init.StatusCode)
	if code == 0 {
		code = http.StatusOK
	}
	if code < 100 || code > 999 {
		writeJSONError(w, http.StatusInternalServerError, "plugin backend answered an invalid status")
		return errors.New("invalid status code " + strconv.Itoa(code))
	}
	for _, h := range init.Headers {
		for _, v := range h.Values {
			w.Header().Add(h.Key, v)
		}
	}
	w.WriteHeader(code)

	var pending []byte
	flush := func(force bool) {
		if len(pending) > 0 {
			_, _ = w.Write(pending)
			pending = pending[:0]
		}
		if force {
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
	}
	msg := first
	for {
		pending = append(pending, msg.BodyChunk...)
		if msg.Flush || len(pending) >= ChunkSize {
			flush(msg.Flush)
		}
		if msg.BodyComplete {
			flush(false)
			return nil
		}
		msg, err = stream.Recv()
		if errors.Is(err, io.EOF) {
			flush(false)
			return nil
		}
		if err != nil {
			flush(false)
			return err
		}
	}
}
