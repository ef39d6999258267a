/* The VMM's main-thread event loop (epoll): sockets, stdin, timers and
 * eventfds that vCPU threads use to hand work to the main thread. */
#ifndef VIRTTY_VMM_EVLOOP_H
#define VIRTTY_VMM_EVLOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct evloop;
typedef void (*evloop_fn)(void *opaque, uint32_t events);

struct evloop *evloop_new(void);
void evloop_free(struct evloop *loop);
/* Watch fd for `events` (EPOLLIN, EPOLLOUT, ...). fn runs on the loop
 * thread. One registration per fd. 0 or -errno. */
int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn, void *opaque);
int evloop_mod(struct evloop *loop, int fd, uint32_t events);
/* Safe to call from inside a callback, also for other fds. */
int evloop_del(struct evloop *loop, int fd);
/* Run until evloop_stop(). Returns 0 or -errno. */
int evloop_run(struct evloop *loop);
/* Thread-safe: makes evloop_run return after the current iteration. */
void evloop_stop(struct evloop *loop);

#endif
