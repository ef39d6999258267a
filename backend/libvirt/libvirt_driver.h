/* The libvirt driver: any libvirt URI (qemu:///system, qemu+ssh://...,
 * test:///default) through the libvirt C API. driver_open() returns one
 * of these for every URI that is not the local driver's. */
#ifndef VIRTTY_LIBVIRT_DRIVER_H
#define VIRTTY_LIBVIRT_DRIVER_H

#include <stddef.h>

#include "driver.h"

/* NULL + err (libvirt's own message) on failure; auth may be NULL. */
struct driver *lv_driver_open(const char *uri, const struct driver_auth *auth, char *err,
			      size_t errlen);

#endif
