/* The request head scanner (headscan.c), apart so the parser library and
 * its fuzz target need no libevent. */
#ifndef COCOON_HTTPD_HEADSCAN_H
#define COCOON_HTTPD_HEADSCAN_H

#include <stddef.h>

/* Finds the blank line that ends a request head in bytes as they arrive
 * (CRLF CRLF, or the bare LFs libevent also accepts) and counts the head's
 * bytes against the cap. */
struct head_scan {
	size_t bytes;
	unsigned char state;
};

enum head_status { HEAD_MORE, HEAD_END, HEAD_TOO_BIG };

void head_scan_reset(struct head_scan *s);
/* Feeds n bytes: HEAD_END once the blank line is seen, HEAD_TOO_BIG once
 * more than max bytes came without one, else HEAD_MORE. */
enum head_status head_scan_feed(struct head_scan *s, const void *p, size_t n, size_t max);

#endif
