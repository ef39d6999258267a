/* A fixed ring of the last HISTORY_LEN samples of one figure (a VM's CPU%,
 * a host core, a network rate): what the graphs draw. No locking here; the
 * ring lives inside the TUI model and is read under its lock. */
#ifndef VIRTTY_TUI_HISTORY_H
#define VIRTTY_TUI_HISTORY_H

#define HISTORY_LEN 120

struct history {
	float v[HISTORY_LEN];
	int head;  /* index the next sample goes to */
	int count; /* samples held, 0..HISTORY_LEN */
};

/* history.c */
void history_clear(struct history *h);
void history_push(struct history *h, float value);
/* Sample i of the count held: 0 is the oldest, count - 1 the newest.
 * Out of range -> 0. */
float history_get(const struct history *h, int i);
/* The newest sample, 0 when empty. */
float history_last(const struct history *h);
/* The largest of the newest n samples (all when n <= 0), 0 when empty. */
float history_max(const struct history *h, int n);

#endif
