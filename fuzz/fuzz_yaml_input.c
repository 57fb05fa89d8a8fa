/* libFuzzer target: YAML data documents -> Rego values
 * (lib/rego/convert.h).
 *
 * Each input is parsed as yaml.unmarshal does (rv_from_yaml_text) and, when
 * libyaml can load it as a document, through rv_from_yaml_node as the
 * conformance runner does. A parsed value must print as YAML (rv_to_yaml)
 * that reads back to an equal value. A failed parse must carry a message.
 * Seed corpus: fuzz/corpus/yaml_input/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <yaml.h>

#include "rego/convert.h"
#include "fuzz.h"

#define FUZZ_ARENA_LIMIT (64u * 1024u * 1024u)
#define FUZZ_TEXT_LIMIT (16u * 1024u * 1024u)

static void check_value(rarena *a, const rv *v)
{
	cc_buf b;
	cc_buf_init(&b, FUZZ_TEXT_LIMIT);
	if (rv_to_yaml(v, &b) == 0) {
		const rv *back = NULL;
		cc_error *err = NULL;
		int r = rv_from_yaml_text(a, b.p ? b.p : "", b.len, &back, &err);
		cc_error_free(err);
		if (r != -ENOMEM && r != -ELOOP && (r != 0 || !rv_eq(v, back)))
			abort();
	}
	cc_buf_free(&b);
}

static void via_document(rarena *a, const char *txt, size_t size)
{
	yaml_parser_t p;
	yaml_document_t d;
	if (!yaml_parser_initialize(&p))
		return;
	yaml_parser_set_input_string(&p, (const unsigned char *)txt, size);
	if (yaml_parser_load(&p, &d)) {
		const rv *v = NULL;
		cc_error *err = NULL;
		int r = rv_from_yaml_node(a, &d, yaml_document_get_root_node(&d), &v, &err);
		if (r != 0 && (err == NULL || cc_error_message(err)[0] == '\0'))
			abort();
		cc_error_free(err);
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rarena *a = rarena_new(FUZZ_ARENA_LIMIT);
	if (a == NULL)
		return 0;
	const char *txt = (const char *)data;
	const rv *v = NULL;
	cc_error *err = NULL;
	int r = rv_from_yaml_text(a, txt, size, &v, &err);
	if (r == 0)
		check_value(a, v);
	else if (err == NULL || cc_error_message(err)[0] == '\0')
		abort();
	cc_error_free(err);
	via_document(a, txt, size);
	rarena_free(a);
	return 0;
}
