/* The "help" command that every control server (virtty-vmm's, virtty-netd's)
 * puts in its table: the table's own names and usages. */
#ifndef VIRTTY_VMM_CONTROL_HELP_H
#define VIRTTY_VMM_CONTROL_HELP_H

struct control_request;

/* {"commands":[{"name":...,"usage":...},...]} from the server's table. */
int control_cmd_help(struct control_request *req);

#endif
