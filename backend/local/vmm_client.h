/* A small blocking client for the virtty-vmm control socket
 * (docs/control-protocol.md): one request, one response, with a deadline. */
#ifndef VIRTTY_LOCAL_VMM_CLIENT_H
#define VIRTTY_LOCAL_VMM_CLIENT_H

#include <stddef.h>

#include <json-c/json.h>

/* Connect to a UNIX stream socket within timeout_ms. Returns the fd or
 * -errno (-ENOENT, -ECONNREFUSED: nobody listens; -ETIMEDOUT). */
int vmm_client_connect(const char *path, int timeout_ms);

/* Send {"cmd": cmd, ...args} and wait up to timeout_ms for the response.
 * args (may be NULL) is not consumed. On success *data (if data is not
 * NULL) holds the response's "data" object (json_object_put it). Errors:
 * -ENOENT/-ECONNREFUSED (no VMM listens), -ETIMEDOUT (no answer in time),
 * -EPROTO (a malformed response), -EREMOTEIO (the VMM refused: err holds
 * its message as is). Other failures fill err with a description. */
int vmm_client_request(const char *path, const char *cmd, struct json_object *args,
		       int timeout_ms, struct json_object **data, char *err, size_t errlen);

#endif
