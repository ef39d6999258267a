/* C side of the PVH entry: run the guest's test and power off, so every
 * guest ends the same way unless it deliberately resets or crashes. */
#include "guest.h"
#include "pvh.h"

void guest_start(const struct hvm_start_info *si);

void guest_start(const struct hvm_start_info *si)
{
	int rc = guest_main(si);

	if (rc)
		guest_printf("virtty-guest: FAILED (%d)\n", rc);
	guest_poweroff();
}
