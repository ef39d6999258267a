/* The local store: one directory per VM (its INI configuration and its
 * disks) under the store root, and a runtime directory per running VM
 * (sockets, pid file, log). Writes are atomic; names are checked before
 * anything touches the disk. */
#ifndef VIRTTY_STORE_H
#define VIRTTY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "driver.h"

struct store {
	char root[VM_PATH_MAX];    /* $VIRTTY_HOME, $XDG_DATA_HOME/virtty,
				    * ~/.local/share/virtty; root: /var/lib/virtty */
	char runtime[VM_PATH_MAX]; /* $XDG_RUNTIME_DIR/virtty; root: /run/virtty;
				    * else /tmp/virtty-UID */
};

/* Work out the directories from the environment and create them (0700).
 * VIRTTY_RUNTIME_DIR overrides the runtime directory (tests). */
int store_open(struct store *st, char *err, size_t errlen);

/* <root>/vms/<name>, <root>/vms/<name>/vm.conf, <root>/vms/<name>/disks,
 * <runtime>/<name>. -ENAMETOOLONG if it does not fit. */
int store_vm_dir(const struct store *st, const char *name, char *buf, size_t len);
int store_vm_config_path(const struct store *st, const char *name, char *buf, size_t len);
int store_vm_disk_dir(const struct store *st, const char *name, char *buf, size_t len);
int store_vm_runtime_dir(const struct store *st, const char *name, char *buf, size_t len);

bool store_vm_exists(const struct store *st, const char *name);
/* Sorted names of every defined VM (malloc'd array of malloc'd strings). */
int store_list_vms(const struct store *st, char ***names, int *count, char *err, size_t errlen);
void store_free_names(char **names, int count);

/* Create <root>/vms/<name> and its disks dir; -EEXIST ("VM 'x' already
 * exists") if it is there. */
int store_create_vm_dir(const struct store *st, const char *name, char *err, size_t errlen);
/* Remove the VM's directory. Disks the store created for it (its disks
 * dir) are deleted only with remove_disks; otherwise they are moved to
 * <root>/disks/<name>-<YYYYmmdd-HHMMSS>/ and err says where (rc still 0).
 * Disks outside the store are never touched. */
int store_remove_vm(const struct store *st, const char *name, bool remove_disks, char *err,
		    size_t errlen);

/* Read and validate vm.conf. A malformed file gives a message naming the
 * file, the line and the problem; the file is left as it is. */
int store_read_config(const struct store *st, const char *name, struct vm_config *out,
		      char *err, size_t errlen);
/* Validate, then write vm.conf atomically (temp file, fsync, rename). */
int store_write_config(const struct store *st, const struct vm_config *cfg, char *err,
		       size_t errlen);
/* The INI text for a config, and the reverse (used by the above; unit-tested). */
char *store_config_to_ini(const struct vm_config *cfg);
int store_config_from_ini(const char *text, const char *vm_dir, struct vm_config *out,
			  char *err, size_t errlen);
/* Checks a config a user asked for: name, vcpus 1..64, memory, paths,
 * display. */
int store_validate_config(const struct vm_config *cfg, char *err, size_t errlen);

/* The display's bounds: width and height in pixels, the TCP port for VNC
 * (0 = UNIX socket only; no privileged ports). */
#define STORE_DISPLAY_MIN  64
#define STORE_DISPLAY_MAX  4096
#define STORE_VNC_PORT_MIN 1024
/* "1024x768" -> 1024, 768 (within the bounds). -EINVAL (format) or
 * -ERANGE with a message quoting text. Used by vm.conf, the CLI and the
 * TUI alike. */
int store_parse_resolution(const char *text, int *width, int *height, char *err, size_t errlen);
/* A display's values in bounds (width/height 0 allowed when disabled; a
 * port needs the display enabled). */
int store_check_display(const struct vm_display *disp, char *err, size_t errlen);

/* Networks: <root>/networks/<name>.conf (INI: [network] mode, subnet,
 * dhcp_start, dhcp_end, bridge, autostart; one [forward] section per port
 * forward with proto, host_addr, host_port, guest_vm|guest_addr,
 * guest_port) and a runtime directory <runtime>/.net/<name> (the switch's
 * sockets, pid file and log). VM NICs are [nic0]..[nic7] sections of
 * vm.conf with network= and mac=. */
int store_net_config_path(const struct store *st, const char *name, char *buf, size_t len);
int store_net_runtime_dir(const struct store *st, const char *name, char *buf, size_t len);
bool store_net_exists(const struct store *st, const char *name);
/* Sorted names of every network. */
int store_list_networks(const struct store *st, char ***names, int *count, char *err,
			size_t errlen);
/* Read and check a network's file (a malformed file names file and line). */
int store_read_net_config(const struct store *st, const char *name, struct net_config *out,
			  char *err, size_t errlen);
/* Write atomically (no validation against other networks: the caller runs
 * netcfg_validate first). */
int store_write_net_config(const struct store *st, const struct net_config *cfg, char *err,
			   size_t errlen);
int store_remove_net(const struct store *st, const char *name, char *err, size_t errlen);
char *store_net_config_to_ini(const struct net_config *cfg);
int store_net_config_from_ini(const char *text, const char *name, struct net_config *out,
			      char *err, size_t errlen);
/* The first time a store is used (no networks directory yet), create the
 * `default` network: nat, 10.0.2.0/24, autostart. Deleting it later is
 * the user's choice and sticks. */
int store_ensure_default_network(const struct store *st, char *err, size_t errlen);
/* Exclusive per-network lock, like store_lock_vm. */
int store_lock_net(const struct store *st, const char *name, bool wait, char *err,
		   size_t errlen);

/* Exclusive per-VM lock (a lock file in the VM's runtime dir), held while
 * starting, stopping, changing or removing a VM. wait=false gives -EBUSY
 * if another process holds it. Returns the fd to pass to store_unlock. */
int store_lock_vm(const struct store *st, const char *name, bool wait, char *err, size_t errlen);
void store_unlock_vm(int fd);

/* ---- inside backend/store: the INI plumbing of vm.conf and network
 * files (config.c), over inih ---- */

/* A text being parsed: the reader counts lines (inih's handler gets no
 * line number), refuses lines over max_line, and shows each section
 * header to see_section as it passes (inih says nothing about a section
 * without keys, nor which of several same-named ones it is in). */
struct store_ini {
	const char *next; /* text not yet handed to inih */
	bool at_line_start;
	int lineno; /* line inih is working on */
	size_t max_line;
	void (*see_section)(void *owner, const char *name, size_t len);
	void *owner;
	char err[512]; /* the first problem, "line N: ..." */
};

/* Record a problem (line 0: none to name); later ones are dropped. */
void store_ini_fail(struct store_ini *ini, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The whole of a small text file into *text (malloc'd, NUL-terminated).
 * -errno of open or read; -EFBIG if it is over max_bytes (or, with
 * regular_only, not a regular file); -ENOMEM; -EILSEQ if it holds a NUL
 * byte (not text). The caller words the message for its kind of file. */
int store_ini_read_file(const char *path, size_t max_bytes, bool regular_only, char **text);
/* Index of name in keys[count], -1 if absent. */
int store_ini_find_key(const char *const *keys, int count, const char *name);
/* Parse text into ini (zeroed by the caller): see_section gets the name
 * inside each "[...]", handler each key as inih gives it (owner is passed
 * to both). inih's global knobs are set for the parse and restored: one
 * thread at a time. Problems end up in ini->err. */
void store_ini_parse(struct store_ini *ini, const char *text, size_t max_line,
		     void (*see_section)(void *owner, const char *name, size_t len),
		     int (*handler)(void *owner, const char *section, const char *name,
				    const char *value),
		     void *owner);

/* The lock behind store_lock_vm and store_lock_net: open (create) path
 * and flock it; messages name the "<kind> '<name>'" it guards. */
int store_lock_file(const char *path, const char *kind, const char *name, bool wait, char *err,
		    size_t errlen);

/* Write a whole file atomically: temp file in the same dir, fsync, rename,
 * fsync of the directory. */
int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode, char *err,
		      size_t errlen);

/* "512M", "2G", "1T", "4096K", "1.5G"; a plain number is in default_unit
 * bytes (memory: MiB). Refuses negative, zero (unless allow_zero), garbage
 * and overflow with a message quoting the input. */
int parse_size(const char *text, uint64_t default_unit, bool allow_zero, uint64_t *bytes,
	       char *err, size_t errlen);
/* "512 MiB", "2.0 GiB" */
void format_size(uint64_t bytes, char *buf, size_t len);

#endif
