/* virtio-rng (entropy device) over PCI: the guest's hwrng, fed by getrandom(). */
#ifndef VIRTTY_VMM_VIRTIO_RNG_H
#define VIRTTY_VMM_VIRTIO_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "irqchip.h"
#include "pci.h"

/* Bytes handed out per request at most: a request may ask for more, it
 * gets a partial fill (allowed by virtio), so one request cannot keep a
 * vCPU busy for long. */
#define VIRTIO_RNG_MAX_PER_REQUEST 65536

struct virtio_rng;

struct virtio_rng *virtio_rng_new(struct pci_bus *bus, struct guest_mem *mem, struct irqchip *irq,
				  char *err, size_t errlen);
/* Random bytes given to the guest so far. */
uint64_t virtio_rng_bytes(struct virtio_rng *rng);
/* Remove from the bus. Call with the vCPUs stopped. NULL is fine. */
void virtio_rng_free(struct virtio_rng *rng);

#endif
