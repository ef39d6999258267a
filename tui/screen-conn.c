/* The connection dialogs of the VM list: A asks for a libvirt URI (with
 * examples), checks it, saves it with the others and connects at once;
 * X removes the connection under the cursor after a confirmation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connlist.h"
#include "tui.h"

static int conn_add_ok(struct tui *tui, const char *text, void *opaque, char *err,
		       size_t errlen)
{
	(void)opaque;
	if (tui_conn_add(tui, text, true, err, errlen))
		return -1; /* the dialog stays, with the reason */
	tui_status(tui, TUI_STATUS_INFO, "connection %s added; connecting...", text);
	return 0;
}

void screen_conn_add(struct tui *tui)
{
	tui_push_screen(tui, dialog_input_new("Add connection",
					      "URI, e.g. qemu:///system, "
					      "qemu+ssh://root@host/system, test:///default",
					      "", conn_add_ok, NULL, NULL));
}

static void conn_remove_yes(struct tui *tui, void *opaque)
{
	int *id = opaque;
	char err[512] = "";

	if (tui_conn_remove(tui, *id, err, sizeof(err)))
		tui_status(tui, TUI_STATUS_ERROR, "%s", err);
	else
		tui_status(tui, TUI_STATUS_INFO, "connection removed");
}

void screen_conn_remove(struct tui *tui, int id)
{
	struct tui_conn *conn;
	char text[400];
	int *p;

	pthread_mutex_lock(&tui->model.lock);
	conn = tui_conn_find(tui, id);
	if (conn && !conn->local)
		snprintf(text, sizeof(text),
			 "Remove the connection %s from the list? Its VMs are not touched.",
			 conn->uri);
	pthread_mutex_unlock(&tui->model.lock);
	if (!conn || conn->local) {
		tui_status(tui, TUI_STATUS_ERROR,
			   "the local connection stays; put the cursor on another connection "
			   "or one of its VMs to remove it");
		return;
	}
	p = malloc(sizeof(*p));
	if (!p)
		return;
	*p = id;
	tui_push_screen(tui, dialog_confirm_new("Remove connection", text, conn_remove_yes, p,
						free));
}
