/* The main-thread event loop: epoll over registered fds, with deletion
 * safe from inside callbacks and a thread-safe stop through an eventfd. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "evloop.h"

struct evloop_watch {
	int fd;
	evloop_fn fn;
	void *opaque;
	struct evloop_watch *next;
	bool dead;
};

struct evloop {
	int epfd;
	int stopfd;
	volatile int stopping;
	struct evloop_watch *watches;
	int dispatching; /* >0 while callbacks run: freeing is deferred */
};

struct evloop *evloop_new(void)
{
	struct evloop *loop = calloc(1, sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epfd < 0 || loop->stopfd < 0)
		goto fail;
	ev.data.ptr = NULL; /* NULL marks the stop eventfd */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->stopfd, &ev) < 0)
		goto fail;
	return loop;
fail:
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->stopfd >= 0)
		close(loop->stopfd);
	free(loop);
	return NULL;
}

static void evloop_reap(struct evloop *loop)
{
	struct evloop_watch **pp = &loop->watches;

	while (*pp) {
		struct evloop_watch *w = *pp;

		if (w->dead) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

void evloop_free(struct evloop *loop)
{
	if (!loop)
		return;
	for (struct evloop_watch *w = loop->watches; w; w = w->next)
		w->dead = true;
	evloop_reap(loop);
	close(loop->epfd);
	close(loop->stopfd);
	free(loop);
}

static struct evloop_watch *evloop_find(struct evloop *loop, int fd)
{
	for (struct evloop_watch *w = loop->watches; w; w = w->next)
		if (w->fd == fd && !w->dead)
			return w;
	return NULL;
}

int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn, void *opaque)
{
	struct evloop_watch *w;
	struct epoll_event ev = { .events = events };

	if (fd < 0 || !fn)
		return -EINVAL;
	if (evloop_find(loop, fd))
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct evloop_watch){ .fd = fd, .fn = fn, .opaque = opaque, .next = loop->watches };
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = -errno;

		free(w);
		return e;
	}
	loop->watches = w;
	return 0;
}

int evloop_mod(struct evloop *loop, int fd, uint32_t events)
{
	struct evloop_watch *w = evloop_find(loop, fd);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int evloop_del(struct evloop *loop, int fd)
{
	struct evloop_watch *w = evloop_find(loop, fd);

	if (!w)
		return -ENOENT;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* Events for w may still be in the batch being dispatched: mark it and
	 * free after the batch. */
	w->dead = true;
	if (!loop->dispatching)
		evloop_reap(loop);
	return 0;
}

int evloop_run(struct evloop *loop)
{
	struct epoll_event evs[32];

	while (!loop->stopping) {
		int n = epoll_wait(loop->epfd, evs, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		loop->dispatching++;
		for (int i = 0; i < n; i++) {
			struct evloop_watch *w = evs[i].data.ptr;

			if (!w) {
				uint64_t v;

				if (read(loop->stopfd, &v, sizeof(v)) < 0) {
					/* nothing to drain */
				}
				continue;
			}
			if (!w->dead)
				w->fn(w->opaque, evs[i].events);
		}
		loop->dispatching--;
		evloop_reap(loop);
	}
	loop->stopping = 0;
	return 0;
}

void evloop_stop(struct evloop *loop)
{
	uint64_t one = 1;

	loop->stopping = 1;
	if (write(loop->stopfd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: a wakeup is already pending */
	}
}
