/* The VNC viewer drawn in the terminal: one RFB connection
 * (libvncclient), the terminal in raw mode, the guest's screen in cells
 * (render.h), keys and mouse to the server (termkeys.h). Used by
 * `virtty vnc` and by the TUI (which ends curses mode around the call). */
#ifndef VIRTTY_CONSOLE_VNCVIEW_H
#define VIRTTY_CONSOLE_VNCVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "render.h"
#include "render-gfx.h"

struct vncview_options {
	const char *title;          /* shown in the status bar, e.g. "web (local)" */
	int in_fd, out_fd;          /* the terminal; -1 = 0 and 1 */
	bool colors_auto;           /* pick from COLORTERM/TERM/NO_COLOR (else `colors`) */
	enum render_colors colors;
	bool view_only;             /* send no input */
	/* Pictures as sixel or kitty graphics where the terminal shows them
	 * (probed at start; half blocks otherwise and inside tmux), or the
	 * mode given in `graphics`. Zeroed options mean half blocks. */
	bool graphics_auto;
	enum render_gfx_mode graphics;
	/* How to connect again (NULL: never). Used when a server changes its
	 * screen size in a way libvncclient cannot follow ("Rect too large":
	 * a guest switching modes during the handshake): the viewer
	 * reconnects and carries on. Returns 0 with *fd, or -errno + err. */
	int (*reopen)(void *opaque, int *fd, char *err, size_t errlen);
	void *reopen_opaque;
};

/* Connect to a VNC server named the way `virtty vnc` takes it: a UNIX
 * socket path (contains '/'), HOST:DISPLAY (port 5900 + DISPLAY) or
 * HOST::PORT. Returns 0 with *fd a connected stream socket, or -errno
 * with a message in err. */
int vncview_connect(const char *target, int *fd, char *err, size_t errlen);

/* Run the viewer over the connected socket fd (taken over: closed before
 * returning) until the user leaves with the escape key (returns 0) or
 * the server goes away (returns -ECONNRESET or another -errno, with a
 * message in err). Restores the terminal in every case. */
int vncview_run(int fd, const struct vncview_options *opts, char *err, size_t errlen);

/* The keys, for help screens and the man page. */
#define VNCVIEW_ESCAPE_KEY_NAME "Ctrl-]"
#define VNCVIEW_MENU_KEY_NAME   "F12"

#endif
