/* The details page's pure parts, testable without a terminal: checking
 * what the user typed for vCPUs, memory and the display, the graphs' time
 * span, and the clone's progress bar. */
#ifndef VIRTTY_TUI_DETAILS_H
#define VIRTTY_TUI_DETAILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DETAILS_MAX_VCPUS 64

/* details.c */
/* "4" -> 4; 1..DETAILS_MAX_VCPUS, else -EINVAL with a message. */
int details_parse_vcpus(const char *text, int *vcpus, char *err, size_t errlen);
/* "512", "512M", "2G" (plain numbers are MiB) -> MiB: a whole number of
 * MiB, at least 1, at most host_bytes (0: no host bound). -EINVAL with a
 * message otherwise. */
int details_parse_memory(const char *text, uint64_t host_bytes, uint64_t *mib, char *err,
			 size_t errlen);
/* The Display row's input: "none" (or "off") removes the screen; "vnc"
 * (or "on") adds one at its remembered or default size (*width = 0);
 * "WxH" (64..4096 each) adds or resizes it. -EINVAL with a message. */
int details_parse_display(const char *text, bool *enabled, int *width, int *height, char *err,
			  size_t errlen);
/* How long samples at interval_ms cover, for a graph's label: "last 2 min",
 * "last 45 s". */
void details_format_span(int samples, uint64_t interval_ms, char *buf, size_t len);
/* Percent of done out of total, 0..100 (0 when total is 0). */
int details_progress_percent(uint64_t done, uint64_t total);
/* A progress bar of exactly width columns: "[#####.....]" (ASCII) or with
 * block characters when utf8. width < 3 gives "". */
void details_format_bar(uint64_t done, uint64_t total, int width, bool utf8, char *buf, size_t len);

#endif
