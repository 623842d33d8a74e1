package localpg

import "syscall"

// dieWithParent has the kernel send the child SIGQUIT (PostgreSQL's immediate
// shutdown) when this process dies, so a killed test binary leaves no server.
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGQUIT }
