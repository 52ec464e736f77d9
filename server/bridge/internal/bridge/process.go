package bridge

// The Python child process: started like the Mattermost supervisor starts a native Python plugin
// (`<python> <script>`, cwd = bundle dir, the server's environment plus
// MATTERMOST_PLUGIN_API_TARGET), with its go-plugin handshake read from stdout.
//
// Contract kept here: every started process is waited for (no zombies), its stderr is logged line
// by line and the last lines are kept for error messages, and Stop ends it within a bound
// (SIGTERM, then SIGKILL after the grace).

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LogFunc receives one line of the child's output with a level ("debug", "info", "warn", "error").
type LogFunc func(level, line string)

// ProcessConfig says how to start the Python backend.
type ProcessConfig struct {
	Python           string        // interpreter (name on PATH or path)
	Script           string        // entry script, relative to Dir or absolute
	Dir              string        // working directory: the plugin bundle
	APITarget        string        // exported as MATTERMOST_PLUGIN_API_TARGET
	HandshakeTimeout time.Duration // DefaultHandshakeTimeout (native Python support: 10 s)
	Log              LogFunc
}

// stderrTailLines is how many of the child's last stderr lines an error message quotes.
const stderrTailLines = 20

// Process is one running Python child.
type Process struct {
	cmd  *exec.Cmd
	addr string // from the handshake

	done    chan struct{} // closed once the process has been reaped
	waitErr error         // valid after done

	mu       sync.Mutex
	tail     []string
	stopping bool
}

// Handshake is a parsed go-plugin handshake line.
type Handshake struct {
	CoreVersion, AppVersion, Network, Addr, Protocol string
}

// ParseHandshake parses "1|1|tcp|127.0.0.1:1234|grpc" and checks what the server would check.
func ParseHandshake(line string) (Handshake, error) {
	parts := strings.Split(strings.TrimSpace(line), "|")
	if len(parts) < 4 {
		return Handshake{}, fmt.Errorf("malformed handshake line %q (want 1|1|tcp|host:port|grpc)", line)
	}
	h := Handshake{CoreVersion: parts[0], AppVersion: parts[1], Network: parts[2], Addr: parts[3], Protocol: "netrpc"}
	if len(parts) >= 5 {
		h.Protocol = parts[4]
	}
	switch {
	case h.CoreVersion != "1":
		return h, fmt.Errorf("unsupported core protocol version %q in handshake %q", h.CoreVersion, line)
	case h.AppVersion != "1":
		return h, fmt.Errorf("unsupported app protocol version %q in handshake %q", h.AppVersion, line)
	case h.Network != "tcp" && h.Network != "unix":
		return h, fmt.Errorf("unsupported network %q in handshake %q", h.Network, line)
	case h.Protocol != "grpc":
		return h, fmt.Errorf("plugin speaks %q, not grpc (handshake %q)", h.Protocol, line)
	case h.Addr == "":
		return h, fmt.Errorf("no address in handshake %q", line)
	}
	return h, nil
}

// StartProcess starts the child and waits for its handshake. On any failure the child is
// stopped and reaped before returning, and the error quotes its last stderr lines.
func StartProcess(cfg ProcessConfig) (*Process, Handshake, error) {
	if cfg.Log == nil {
		cfg.Log = func(string, string) {}
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	cmd := exec.Command(cfg.Python, cfg.Script)
	cmd.Dir = cfg.Dir
	cmd.Env = append(os.Environ(), "MATTERMOST_PLUGIN_API_TARGET="+cfg.APITarget)
	cmd.SysProcAttr = sysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, Handshake{}, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, Handshake{}, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	if err := startOnOwnThread(cmd, p.done); err != nil {
		return nil, Handshake{}, fmt.Errorf("cannot start %s %s: %w", cfg.Python, cfg.Script, err)
	}

	var pipes sync.WaitGroup
	pipes.Add(2)
	handshake := make(chan string, 1)
	go func() { defer pipes.Done(); p.readStdout(stdout, handshake, cfg.Log) }()
	go func() { defer pipes.Done(); p.readStderr(stderr, cfg.Log) }()
	go func() {
		pipes.Wait() // Wait must not run before the pipes are drained (os/exec contract)
		p.waitErr = cmd.Wait()
		close(p.done)
	}()

	timer := time.NewTimer(cfg.HandshakeTimeout)
	defer timer.Stop()
	select {
	case line := <-handshake:
		h, err := ParseHandshake(line)
		if err != nil {
			p.Stop(2 * time.Second)
			return nil, h, p.withTail(err)
		}
		p.addr = h.Addr
		return p, h, nil
	case <-p.done:
		return nil, Handshake{}, p.withTail(fmt.Errorf("python backend exited before its handshake (%s)", p.exitText()))
	case <-timer.C:
		p.Stop(2 * time.Second)
		return nil, Handshake{}, p.withTail(fmt.Errorf("python backend sent no handshake within %s", cfg.HandshakeTimeout))
	}
}

func (p *Process) readStdout(r io.Reader, handshake chan<- string, log LogFunc) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := true
	for sc.Scan() {
		if first {
			first = false
			handshake <- sc.Text()
			continue
		}
		log("info", "stdout: "+sc.Text()) // the protocol allows nothing here; make it visible
	}
	_, _ = io.Copy(io.Discard, r)
}

func (p *Process) readStderr(r io.Reader, log LogFunc) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.tail = append(p.tail, line)
		if len(p.tail) > stderrTailLines {
			p.tail = p.tail[len(p.tail)-stderrTailLines:]
		}
		p.mu.Unlock()
		log(levelOf(line), stripLevel(line))
	}
	_, _ = io.Copy(io.Discard, r)
}

// levelOf reads a go-plugin style level prefix ("[ERROR] ..."); without one it looks for a
// Python logging level word near the start of the line (tracebacks are errors); default info.
func levelOf(line string) string {
	head := strings.ToUpper(strings.TrimSpace(line))
	if strings.HasPrefix(head, "[") {
		if end := strings.Index(head, "]"); end > 0 {
			switch head[1:end] {
			case "ERROR", "CRITICAL", "FATAL":
				return "error"
			case "WARN", "WARNING":
				return "warn"
			case "DEBUG", "TRACE":
				return "debug"
			case "INFO":
				return "info"
			}
		}
	}
	if len(head) > 48 {
		head = head[:48]
	}
	switch {
	case strings.HasPrefix(head, "TRACEBACK"), strings.Contains(head, "ERROR"), strings.Contains(head, "CRITICAL"):
		return "error"
	case strings.Contains(head, "WARN"):
		return "warn"
	case strings.Contains(head, "DEBUG"):
		return "debug"
	default:
		return "info"
	}
}

var levelPrefixes = []string{"[TRACE]", "[DEBUG]", "[INFO]", "[WARN]", "[WARNING]", "[ERROR]", "[CRITICAL]", "[FATAL]"}

// stripLevel drops a leading "[LEVEL] " prefix, as go-plugin does when it logs plugin stderr
// (the level is carried by the log call instead).
func stripLevel(line string) string {
	for _, pfx := range levelPrefixes {
		if len(line) >= len(pfx) && strings.EqualFold(line[:len(pfx)], pfx) {
			return strings.TrimLeft(line[len(pfx):], " ")
		}
	}
	return line
}

// Addr is the hooks server address from the handshake.
func (p *Process) Addr() string { return p.addr }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stopping reports whether Stop was called (an exit is then expected, not a crash).
func (p *Process) Stopping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}

// StderrTail returns the last stderr lines.
func (p *Process) StderrTail() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tail...)
}

// ExitText describes how the process ended (valid after Done).
func (p *Process) exitText() string {
	if p.waitErr == nil {
		return "exit status 0"
	}
	return p.waitErr.Error()
}

// ExitText describes how the process ended; empty while it runs.
func (p *Process) ExitText() string {
	select {
	case <-p.done:
		return p.exitText()
	default:
		return ""
	}
}

// withTail appends the last stderr lines to err. Call it once the process is done, when the
// stderr reader has drained the pipe.
func (p *Process) withTail(err error) error {
	tail := p.StderrTail()
	if len(tail) == 0 {
		return err
	}
	return fmt.Errorf("%w; last stderr lines:\n%s", err, strings.Join(tail, "\n"))
}

// Stop sends SIGTERM, waits up to grace, then SIGKILLs, and always waits for the reap.
func (p *Process) Stop(grace time.Duration) {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill() // fails only if it is already gone
	<-p.done
}

// startOnOwnThread starts cmd from a goroutine locked to its OS thread, which stays alive until
// done is closed (the child has exited and been reaped). The parent-death signal
// (sysProcAttr) is tied to the *thread* that forked the child, not to the bridge process: when
// that thread ends -- Go ends the thread of a goroutine that exits while locked, and the forking
// goroutine would otherwise be any thread the scheduler later retires -- the kernel kills the
// child. Seen on a real server: the Python backend SIGKILLed seconds after a healthy start.
func startOnOwnThread(cmd *exec.Cmd, done <-chan struct{}) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err != nil {
			runtime.UnlockOSThread()
			return
		}
		<-done // keep this thread (the child's "parent" for Pdeathsig) until the child is gone
	}()
	return <-started
}
