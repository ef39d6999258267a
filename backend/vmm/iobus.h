/* Dispatch of port I/O and MMIO exits to the device that owns the address. */
#ifndef VIRTTY_VMM_IOBUS_H
#define VIRTTY_VMM_IOBUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Called for an access of `len` bytes (1, 2, 4 or 8) at `offset` from the
 * start of the registered range. For reads the handler fills `data`
 * (pre-zeroed by the bus); for writes it consumes it. Little-endian. */
typedef void (*io_handler_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			      bool is_write);

struct io_range {
	uint64_t base, len;
	io_handler_fn fn;
	void *opaque;
};

struct io_bus {
	pthread_rwlock_t lock;
	struct io_range *ranges; /* sorted by base, non-overlapping */
	int nr, cap;
	const char *name;        /* "pio" or "mmio", for messages */
};

void io_bus_init(struct io_bus *bus, const char *name);
void io_bus_destroy(struct io_bus *bus);
/* 0, -EEXIST if the range overlaps another, -EINVAL for len 0 or wrap. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len, io_handler_fn fn, void *opaque);
/* Remove the range starting exactly at base: 0 or -ENOENT. */
int io_bus_unregister(struct io_bus *bus, uint64_t base);
/* Reads of unclaimed addresses return all ones; writes are dropped.
 * Returns true if a device claimed the access. Safe from any thread. */
bool io_bus_access(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
