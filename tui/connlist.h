/* The TUI's list of connections as the config file keeps it, and the
 * retry schedule of a connection that failed: pure functions (no
 * threads, no terminal) so they can be tested.
 *
 * ~/.config/virtty/config ($XDG_CONFIG_HOME honoured) is an INI file
 * shared with the theme ([ui] theme = ...). The connections are a
 * section of their own, one line per libvirt URI in the user's order:
 *
 *   [connections]
 *   uri = qemu:///system
 *   uri = qemu+ssh://root@host/system
 *
 * The local connection is always there and never written. Saving
 * rewrites only this section and keeps every other line as it was. */
#ifndef VIRTTY_TUI_CONNLIST_H
#define VIRTTY_TUI_CONNLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONNLIST_URI_MAX 256
#define CONNLIST_MAX	 32 /* libvirt connections, besides the local one */

/* Is uri acceptable for the Add connection dialog? Non-empty, no spaces
 * or control characters, "scheme:..." form, not the local one, shorter
 * than CONNLIST_URI_MAX. If not, err says why. */
bool connlist_uri_valid(const char *uri, char *err, size_t errlen);

/* The URIs of the [connections] section of text, in order, duplicates
 * and invalid lines skipped. Returns how many (at most max). */
int connlist_parse(const char *text, char (*uris)[CONNLIST_URI_MAX], int max);

/* text with its [connections] section replaced by uris (added at the end
 * when there was none; removed when n is 0). malloc'd; NULL on ENOMEM. */
char *connlist_render(const char *text, const char (*uris)[CONNLIST_URI_MAX], int n);

/* The config file's path (-ENOENT when neither XDG_CONFIG_HOME nor HOME
 * is set). */
int connlist_config_path(char *buf, size_t len);
/* Read the saved URIs (0 of them when there is no file). */
int connlist_load(char (*uris)[CONNLIST_URI_MAX], int max);
/* Write uris to the config file atomically, creating its folder. */
int connlist_save(const char (*uris)[CONNLIST_URI_MAX], int n, char *err, size_t errlen);

/* Milliseconds to wait before connection attempt number attempt + 1
 * after attempt failures in a row (attempt >= 1): 1 s, 2 s, 4 s, ...
 * doubling up to 60 s. */
unsigned connlist_backoff_ms(unsigned attempt);

#endif
