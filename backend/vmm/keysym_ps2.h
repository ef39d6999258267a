/* X11/RFB keysyms -> PS/2 scan code set 1 keys of a US keyboard, for the
 * VNC server's key events. */
#ifndef VIRTTY_VMM_KEYSYM_PS2_H
#define VIRTTY_VMM_KEYSYM_PS2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A key: its set-1 make code in the low byte, KEYSYM_PS2_E0 when the code
 * has the 0xE0 prefix. 0 means "no such key". */
typedef uint16_t ps2_key;
#define KEYSYM_PS2_E0	   0x100
#define KEYSYM_PS2_NR_KEYS 0x200 /* all ps2_key values are below this */

/* The key that produces keysym on a US layout. Shifted characters map to
 * the key of their unshifted form ('A' and 'a', '!' and '1'): the client
 * sends Shift itself. 0 for keysyms without a key (ignored). */
ps2_key keysym_ps2_lookup(uint32_t keysym);

/* Scan code bytes of pressing (down) or releasing a key: make code, or
 * make | 0x80; with the 0xE0 prefix where the key has one. Returns the
 * number of bytes (0 for key 0, else 1 or 2). */
size_t keysym_ps2_encode(ps2_key key, bool down, uint8_t out[2]);

#endif
