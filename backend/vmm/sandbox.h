/* Seccomp filters for the VMM's threads (libseccomp). The main thread
 * (sockets, event loop), the vCPU threads (KVM_RUN, device emulation,
 * disk I/O), the VNC thread (its client sockets), each user-mode
 * network thread (libslirp: the guest's host sockets) and each switch
 * client thread (one UNIX socket, reconnected) each get an
 * allow-list; anything else kills the process. virtty-netd uses the
 * user-mode network's list for its NAT thread and one of its own for
 * its event loop. */
#ifndef VIRTTY_VMM_SANDBOX_H
#define VIRTTY_VMM_SANDBOX_H

#include <stddef.h>

enum sandbox_role {
	SANDBOX_MAIN,
	SANDBOX_VCPU,
	SANDBOX_VNC, /* the VNC server thread (vnc_server.c) */
	SANDBOX_NET, /* a user-mode NAT thread (net_slirp.c) */
	SANDBOX_NET_SOCKET, /* a switch client's receiving thread (net_socket.c) */
	SANDBOX_NETD, /* virtty-netd's event loop, once the network is built */
};

/* The program a violation message names ("virtty-netd: seccomp blocked
 * system call 41"); "virtty-vmm" unless set. Call before any filter. */
void sandbox_set_program(const char *name);

/* Install the filter for the calling thread. Returns 0, or -errno with a
 * message. Without libseccomp (configure --without-seccomp) it does
 * nothing and returns 0. VIRTTY_SECCOMP=off disables it, =log logs
 * violations instead of killing (to find a missing syscall). */
int sandbox_apply(enum sandbox_role role, char *err, size_t errlen);

#endif
