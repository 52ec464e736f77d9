//go:build linux

package bridge

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// The parent-death signal follows the OS thread that forked the child. A child started from a
// goroutine whose thread then ends (here: a goroutine that exits while locked to its thread,
// which makes Go end that thread) must keep running: seen on a real server as the Python
// backend being SIGKILLed seconds after a healthy start.
func TestChildOutlivesTheThreadThatStartedIt(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "backend.sh")
	body := "echo '1|1|tcp|127.0.0.1:1|grpc'\nexec sleep 30\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	type result struct {
		p   *Process
		err error
	}
	started := make(chan result, 1)
	var r result
	for r.p == nil && r.err == nil {
		go func() {
			runtime.LockOSThread() // never unlocked: this thread ends with the goroutine
			if syscall.Gettid() == os.Getpid() {
				started <- result{} // the main thread is never ended by Go; try another thread
				return
			}
			p, _, err := StartProcess(ProcessConfig{Python: "/bin/sh", Script: script, Dir: dir, APITarget: "127.0.0.1:1"})
			started <- result{p, err}
		}()
		r = <-started
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.p.Stop(2 * time.Second)
	select {
	case <-r.p.Done():
		t.Fatalf("child died after the starting thread ended: %s", r.p.ExitText())
	case <-time.After(1500 * time.Millisecond):
	}
	if processGone(r.p.Pid()) {
		t.Fatal("child is gone")
	}
}
