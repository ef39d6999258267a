/* The sample ring behind every rolling graph (see history.h). */
#include "history.h"

void history_clear(struct history *h)
{
	h->head = 0;
	h->count = 0;
}

void history_push(struct history *h, float value)
{
	/* A ring read by other code: keep head and count in range even if
	 * the struct was never cleared properly. */
	if (h->head < 0 || h->head >= HISTORY_LEN)
		h->head = 0;
	if (value != value) /* NaN would poison every max() after it */
		value = 0;
	h->v[h->head] = value;
	h->head = (h->head + 1) % HISTORY_LEN;
	if (h->count < HISTORY_LEN)
		h->count++;
}

float history_get(const struct history *h, int i)
{
	int count = h->count < 0 ? 0 : h->count > HISTORY_LEN ? HISTORY_LEN : h->count;
	int head = h->head < 0 || h->head >= HISTORY_LEN ? 0 : h->head;

	if (i < 0 || i >= count)
		return 0;
	/* The oldest sample sits count places behind head. */
	return h->v[(head - count + i + 2 * HISTORY_LEN) % HISTORY_LEN];
}

float history_last(const struct history *h)
{
	return history_get(h, h->count - 1);
}

float history_max(const struct history *h, int n)
{
	float max = 0;

	if (n <= 0 || n > h->count)
		n = h->count;
	for (int i = h->count - n; i < h->count; i++) {
		float v = history_get(h, i);

		if (v > max)
			max = v;
	}
	return max;
}
