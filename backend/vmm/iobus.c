/* Port I/O and MMIO dispatch: a sorted array of ranges searched with a
 * binary search under a read lock (registrations are rare, accesses hot). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iobus.h"

void io_bus_init(struct io_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	pthread_rwlock_init(&bus->lock, NULL);
	bus->name = name;
}

void io_bus_destroy(struct io_bus *bus)
{
	free(bus->ranges);
	pthread_rwlock_destroy(&bus->lock);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
}

/* Index of the first range whose base is > addr. */
static int io_bus_upper(const struct io_bus *bus, uint64_t addr)
{
	int lo = 0, hi = bus->nr;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct io_range *io_bus_find(const struct io_bus *bus, uint64_t addr)
{
	int i = io_bus_upper(bus, addr) - 1;

	if (i < 0)
		return NULL;
	if (addr - bus->ranges[i].base < bus->ranges[i].len)
		return &bus->ranges[i];
	return NULL;
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, io_handler_fn fn, void *opaque)
{
	int i, ret = 0;

	if (len == 0 || base + len - 1 < base || !fn)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = io_bus_upper(bus, base);
	if ((i > 0 && bus->ranges[i - 1].base + bus->ranges[i - 1].len > base) ||
	    (i < bus->nr && bus->ranges[i].base <= base + len - 1)) {
		ret = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		int cap = bus->cap ? bus->cap * 2 : 16;
		struct io_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->nr - i) * sizeof(*bus->ranges));
	bus->ranges[i] = (struct io_range){ .base = base, .len = len, .fn = fn, .opaque = opaque };
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int io_bus_unregister(struct io_bus *bus, uint64_t base)
{
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	for (int i = 0; i < bus->nr; i++) {
		if (bus->ranges[i].base != base)
			continue;
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nr - i - 1) * sizeof(*bus->ranges));
		bus->nr--;
		ret = 0;
		break;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool io_bus_access(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	const struct io_range *r;
	struct io_range found;

	if (len == 0 || len > 8)
		return false;
	pthread_rwlock_rdlock(&bus->lock);
	r = io_bus_find(bus, addr);
	if (r)
		found = *r;
	pthread_rwlock_unlock(&bus->lock);
	if (!r || len > found.len - (addr - found.base)) {
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	if (!is_write)
		memset(data, 0, len);
	/* The handler runs unlocked: devices lock themselves, and a handler may
	 * (un)register ranges, e.g. when the guest moves a PCI BAR. */
	found.fn(found.opaque, addr - found.base, data, len, is_write);
	return true;
}
