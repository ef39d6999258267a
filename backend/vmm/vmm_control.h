/* The virtty-vmm control socket: binds the generic control server to the
 * machine API (vmm.h) and the serial replay ring. Commands and events are
 * documented in docs/control-protocol.md. */
#ifndef VIRTTY_VMM_VMM_CONTROL_H
#define VIRTTY_VMM_VMM_CONTROL_H

#include <stddef.h>

#include "vmm.h"

struct evloop;
struct chardev;
struct control_server;

/* Listen on path (mode 0600). serial may be NULL (then "serial-dump" says
 * so). NULL with err filled on failure. Loop thread. */
struct control_server *vmm_control_start(struct evloop *loop, const char *path, struct vmm *vmm,
					 struct chardev *serial, char *err, size_t errlen);
/* Tell subscribers the machine changed state for a reason the control
 * socket did not cause itself (guest reboot/poweroff, signal). Any thread.
 * Pause/resume/quit requested over the socket are announced already. */
void vmm_control_notify_state(struct control_server *srv, enum vmm_state state);
void vmm_control_stop(struct control_server *srv);

#endif
