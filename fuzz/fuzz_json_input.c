/* libFuzzer target: JSON input and data documents -> Rego values
 * (lib/rego/convert.h).
 *
 * Each input is parsed with rv_from_json_text in an arena with a byte
 * limit. A parsed value must print back (rv_to_json and Go-style
 * rv_to_go_json) to text that parses to an equal value, must convert to
 * jansson and back, and the text must count as valid JSON. A failed parse
 * must carry a message. Seed corpus: fuzz/corpus/json_input/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "rego/convert.h"
#include "fuzz.h"

#define FUZZ_ARENA_LIMIT (64u * 1024u * 1024u)
#define FUZZ_TEXT_LIMIT (16u * 1024u * 1024u)

/* text must parse back to a value equal to v. */
static void reparse(rarena *a, const rv *v, const cc_buf *text)
{
	const rv *back = NULL;
	cc_error *err = NULL;
	int r = rv_from_json_text(a, text->p ? text->p : "", text->len, &back, &err);
	cc_error_free(err);
	if (r == -ENOMEM)
		return;
	if (r != 0 || !rv_eq(v, back))
		abort();
}

static void check_value(rarena *a, const rv *v)
{
	cc_buf b;
	cc_buf_init(&b, FUZZ_TEXT_LIMIT);
	if (rv_to_json(v, &b, false) == 0)
		reparse(a, v, &b);
	cc_buf_free(&b);
	cc_buf_init(&b, FUZZ_TEXT_LIMIT);
	if (rv_to_go_json(v, &b, "", NULL) == 0)
		reparse(a, v, &b);
	cc_buf_free(&b);
	cc_buf_init(&b, FUZZ_TEXT_LIMIT);
	if (rv_to_go_json(v, &b, "", "\t") == 0)
		reparse(a, v, &b);
	cc_buf_free(&b);

	json_t *j = rv_to_jansson(v);
	if (j != NULL) {
		const rv *back = NULL;
		cc_error *err = NULL;
		int r = rv_from_jansson(a, j, &back, &err);
		cc_error_free(err);
		json_decref(j);
		if (r != 0 && r != -ENOMEM && r != -ERANGE)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return 0;
	const char *txt = (const char *)data;
	const rv *v = NULL;
	cc_error *err = NULL;
	int r = rv_from_json_text(a, txt, size, &v, &err);
	if (r == 0) {
		if (!rv_json_valid(txt, size))
			abort();
		check_value(a, v);
	} else if (err == NULL || cc_error_message(err)[0] == '\0') {
		abort();
	}
	cc_error_free(err);
	(void)rv_json_valid(txt, size);
	rarena_free(a);
	return 0;
}
