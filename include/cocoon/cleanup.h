/* Scoped cleanup (crun's utils.h, bubblewrap's utils.h): a variable declared
 * with one of these attributes is released when it goes out of scope;
 * TAKE_PTR/TAKE_FD hand ownership out of the scope. */
#ifndef COCOON_CLEANUP_H
#define COCOON_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cc_freep(void *p)
{
	free(*(void **)p);
}

static inline void cc_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void cc_fclosep(FILE **f)
{
	if (*f != NULL)
		fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(cc_freep)))
#define _cleanup_close_ __attribute__((cleanup(cc_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cc_fclosep)))

/* Declares a cleanup function NAME##p for a type with a NAME_free(T *). */
#define CC_DEFINE_CLEANUP(type, freefn)                                                            \
	static inline void freefn##p(type **p)                                                     \
	{                                                                                          \
		freefn(*p);                                                                        \
	}

/* Returns *pp and sets it to NULL (ownership leaves the scope). */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _tp = (p);                                                           \
		(p) = NULL;                                                                        \
		_tp;                                                                               \
	})

/* Returns fd and sets the variable to -1. */
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _tf = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_tf;                                                                               \
	})

#endif
