/* Finds the end of a request head in bytes as they arrive (httpd_int.h):
 * RFC 9112 §2.2 ends the head with an empty line; like libevent (its
 * EVBUFFER_EOL_CRLF) a line may end in LF alone. Three states: inside a
 * line, just after a LF, after LF CR. */
#include "headscan.h"

enum { IN_LINE, AT_LF, AT_LF_CR };

void head_scan_reset(struct head_scan *s)
{
	s->bytes = 0;
	s->state = IN_LINE;
}

enum head_status head_scan_feed(struct head_scan *s, const void *p, size_t n, size_t max)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		if (s->bytes >= max)
			return HEAD_TOO_BIG;
		s->bytes++;
		unsigned char c = b[i];
		if (c == '\n') {
			if (s->state != IN_LINE)
				return HEAD_END;
			s->state = AT_LF;
		} else if (c == '\r') {
			s->state = s->state == AT_LF ? AT_LF_CR : IN_LINE;
		} else {
			s->state = IN_LINE;
		}
	}
	return HEAD_MORE;
}
