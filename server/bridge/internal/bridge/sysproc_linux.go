package bridge

import "syscall"

// sysProcAttr makes the kernel kill the Python child if the bridge dies without stopping it
// (e.g. the server SIGKILLs the plugin), so no orphan keeps serving.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
