/* The local driver: VMs in the on-disk store (backend/store), each run by
 * a daemonized virtty-vmm process that the driver talks to through its
 * control socket. driver_open("local") returns one of these. */
#ifndef VIRTTY_LOCAL_H
#define VIRTTY_LOCAL_H

#include <stddef.h>

#include "driver.h"

struct driver *local_driver_open(char *err, size_t errlen);

#endif
