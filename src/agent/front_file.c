/* Reading the agent's small files (front_file.h). */
#include "front_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cocoon/buf.h"

int agent_read_file(const char *path, size_t max, char **ret, size_t *ret_len, cc_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	cc_buf b;
	cc_buf_init(&b, max);
	char chunk[16384];
	int r = 0;
	ssize_t n;
	while (r == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
		else if ((r = cc_buf_add(&b, chunk, (size_t)n)) == -E2BIG)
			r = cc_error_set(err, r, "%s: more than %zu bytes", path, max);
		else if (r < 0)
			r = cc_error_set(err, r, "%s: out of memory", path);
	}
	close(fd);
	char *s = r == 0 ? cc_buf_steal(&b, ret_len) : NULL;
	cc_buf_free(&b);
	if (r == 0 && s == NULL)
		r = cc_error_set(err, -ENOMEM, "%s: out of memory", path);
	if (r == 0)
		*ret = s;
	return r;
}
