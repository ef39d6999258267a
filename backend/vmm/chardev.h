/* Character backends: where a serial port's bytes go (stdio, a UNIX socket
 * that several clients watch, or nowhere), with a replay ring of recent output. */
#ifndef VIRTTY_VMM_CHARDEV_H
#define VIRTTY_VMM_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

struct evloop;
struct chardev;

/* Replay ring size used when 0 is passed. */
#define CHARDEV_REPLAY_DEFAULT (64 * 1024)

/* stdio: raw mode on a tty (restored by chardev_free, at exit and by
 * chardev_restore_tty()); plain pass-through when stdin is not a tty.
 * Input that cannot be polled (a regular file, /dev/null) is ignored. */
struct chardev *chardev_new_stdio(struct evloop *loop, char *err, size_t errlen);

/* UNIX stream socket at path (mode 0600), several clients at once. Every
 * client receives all guest output; input from any client goes to the
 * guest; the replay ring (replay_bytes, 0 = default) is sent to each client
 * when it connects. A client that cannot keep up loses the bytes that fell
 * out of the ring (counted in chardev_dropped_bytes()), never blocking the
 * VMM or the other clients. A stale socket file is replaced; a live one
 * (another VMM listening) is an error. */
struct chardev *chardev_new_socket(struct evloop *loop, const char *path, size_t replay_bytes,
				   char *err, size_t errlen);

/* Only keeps the replay ring (output goes nowhere): --serial none, tests. */
struct chardev *chardev_new_null(size_t replay_bytes);

/* Guest output. Thread-safe and never blocks (vCPU threads call it). */
void chardev_write(struct chardev *dev, const uint8_t *buf, size_t len);

/* Where guest input goes. fn runs on the loop thread and returns how many
 * bytes it took; the chardev holds the rest and stops reading its sources
 * until chardev_input_ready() (thread-safe) says there is room again. */
void chardev_set_input(struct chardev *dev,
		       size_t (*fn)(void *opaque, const uint8_t *buf, size_t len), void *opaque);
void chardev_input_ready(struct chardev *dev);

/* Hand bytes to the input callback as if a source had produced them (loop
 * thread; tests and host-side injection). Returns the bytes taken. */
size_t chardev_push_input(struct chardev *dev, const uint8_t *buf, size_t len);

/* Copy of the replay ring, oldest byte first; returns bytes copied (the
 * newest `size` bytes if the ring holds more). */
size_t chardev_replay_copy(struct chardev *dev, uint8_t *buf, size_t size);

/* Size of the replay ring in bytes. */
size_t chardev_replay_capacity(struct chardev *dev);

/* Output bytes written in total, and bytes some client/stdout missed
 * because it fell more than a ring behind. */
uint64_t chardev_total_bytes(struct chardev *dev);
uint64_t chardev_dropped_bytes(struct chardev *dev);

void chardev_free(struct chardev *dev);

/* Put the terminal back as it was (async-signal-safe; for fatal signal
 * handlers). No-op when no stdio chardev changed it. */
void chardev_restore_tty(void);

/* Bind and listen on a UNIX stream socket at path, mode 0600, non-blocking,
 * replacing a stale socket file. `what` names it in messages ("serial
 * socket"). Returns the fd or -errno with err filled. Shared with control.c. */
int chardev_unix_listen(const char *path, const char *what, char *err, size_t errlen);

#endif
