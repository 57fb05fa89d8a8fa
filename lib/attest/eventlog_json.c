/* Trustee's parsed event log (eventlog.h: eventlog_to_json) and the AAEL
 * entries (eventlog_aael_json). The per-type "details" follow deps/eventlog's
 * parsers (docs/attest-eventlog.md lists what is and is not rendered); an
 * event whose data does not have the form its type promises (including
 * text that is not UTF-8) gets empty details instead of failing the log,
 * since the details are informational and the digests, not the data, are
 * what the registers commit to. Running out of memory fails. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "eventlog_int.h"

static const struct {
	uint32_t type;
	const char *name;
} type_names[] = {
	{0x0, "EV_PREBOOT_CERT"},
	{0x1, "EV_POST_CODE"},
	{0x2, "EV_UNUSED"},
	{0x3, "EV_NO_ACTION"},
	{0x4, "EV_SEPARATOR"},
	{0x5, "EV_ACTION"},
	{0x6, "EV_EVENT_TAG"},
	{0x7, "EV_S_CRTM_CONTENTS"},
	{0x8, "EV_S_CRTM_VERSION"},
	{0x9, "EV_CPU_MICROCODE"},
	{0xA, "EV_PLATFORM_CONFIG_FLAGS"},
	{0xB, "EV_TABLE_OF_DEVICES"},
	{0xC, "EV_COMPACT_HASH"},
	{0xD, "EV_IPL"},
	{0xE, "EV_IPL_PARTITION_DATA"},
	{0xF, "EV_NONHOST_CODE"},
	{0x10, "EV_NONHOST_CONFIG"},
	{0x11, "EV_NONHOST_INFO"},
	{0x12, "EV_OMIT_BOOT_DEVICE_EVENTS"},
	{0x80000000, "EV_EFI_EVENT_BASE"},
	{0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG"},
	{0x80000002, "EV_EFI_VARIABLE_BOOT"},
	{0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION"},
	{0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER"},
	{0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER"},
	{0x80000006, "EV_EFI_GPT_EVENT"},
	{0x80000007, "EV_EFI_ACTION"},
	{0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
	{0x80000009, "EV_EFI_HANDOFF_TABLES"},
	{0x8000000A, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
	{0x8000000B, "EV_EFI_HANDOFF_TABLES2"},
	{0x8000000C, "EV_EFI_VARIABLE_BOOT2"},
	{0x80000010, "EV_EFI_HCRTM_EVENT"},
	{0x800000E0, "EV_EFI_VARIABLE_AUTHORITY"},
	{0x800000E1, "EV_EFI_SPDM_FIRMWARE_BLOB"},
	{0x800000E2, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
};

static const char *type_name(uint32_t t)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == t)
			return type_names[i].name;
	return NULL;
}

/* Trustee's algorithm names (TcgAlgorithm's serde names). */
static const char *tcg_alg_name(uint16_t alg)
{
	switch (alg) {
	case EVENTLOG_ALG_SHA1: return "SHA-1";
	case EVENTLOG_ALG_SHA256: return "SHA-256";
	case EVENTLOG_ALG_SHA384: return "SHA-384";
	case EVENTLOG_ALG_SHA512: return "SHA-512";
	case EVENTLOG_ALG_SM3_256: return "SM3";
	default: return "unknown";
	}
}

static json_t *hex_string(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[2 * EVENTLOG_MAX_DIGEST + 1];
	if (n > EVENTLOG_MAX_DIGEST)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[p[i] >> 4];
		buf[2 * i + 1] = digits[p[i] & 15];
	}
	buf[2 * n] = '\0';
	return json_string(buf);
}

static json_t *b64_string(const uint8_t *p, size_t n)
{
	size_t out = 4 * ((n + 2) / 3) + 1;
	char *buf = malloc(out);
	if (buf == NULL || n > INT32_MAX) {
		free(buf);
		return NULL;
	}
	int len = n > 0 ? EVP_EncodeBlock((unsigned char *)buf, p, (int)n) : 0;
	json_t *s = len >= 0 ? json_stringn(buf, (size_t)len) : NULL;
	free(buf);
	return s;
}

size_t eventlog_utf16_to_utf8(const uint8_t *p, size_t units, bool lossy, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < units; i++) {
		uint32_t c = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8);
		if (c >= 0xD800 && c < 0xDC00 && i + 1 < units) {
			uint32_t c2 = (uint32_t)(p[2 * i + 2] | p[2 * i + 3] << 8);
			if (c2 >= 0xDC00 && c2 < 0xE000) {
				c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
				i++;
			}
		}
		if (c >= 0xD800 && c < 0xE000) {
			if (!lossy)
				return SIZE_MAX;
			c = 0xFFFD;
		}
		if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xC0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 63));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xE0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 63));
			out[o++] = (char)(0x80 | (c & 63));
		} else { /* a pair: 2 units in, 4 bytes out */
			out[o++] = (char)(0xF0 | c >> 18);
			out[o++] = (char)(0x80 | ((c >> 12) & 63));
			out[o++] = (char)(0x80 | ((c >> 6) & 63));
			out[o++] = (char)(0x80 | (c & 63));
		}
	}
	return o;
}

/* Whether p is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or
 * code points above U+10FFFF), as Rust's String::from_utf8 requires. */
static bool utf8_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
		                                   : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (len == 0 || len > n - i)
			return false;
		uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3Fu);
		}
		static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
		if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
			return false;
		i += len;
	}
	return true;
}

/* The helpers below return the details object, {} when the data does not
 * have the form its type promises (Trustee would refuse the log; see the
 * file comment), and NULL only when out of memory. */

/* {"string": text}; text is valid UTF-8. */
static json_t *details_text(const char *text, size_t n)
{
	json_t *d = json_object();
	if (d == NULL || json_object_set_new(d, "string", json_stringn(text, n)) < 0) {
		json_decref(d);
		return NULL;
	}
	return d;
}

static json_t *text_or_empty(const uint8_t *p, size_t n)
{
	return utf8_valid(p, n) ? details_text((const char *)p, n) : json_object();
}

/* EV_POST_CODE, EV_ACTION, EV_EFI_ACTION, ...: the data as UTF-8. */
static json_t *simple(const uint8_t *p, size_t n)
{
	return text_or_empty(p, n);
}

/* EV_PLATFORM_CONFIG_FLAGS: the data as UTF-8 ("" when it is not) with
 * 0x10 read as a space and control characters (C0, DEL, C1) dropped. */
static json_t *config_flags(const uint8_t *p, size_t n)
{
	if (!utf8_valid(p, n))
		return details_text("", 0);
	char *out = malloc(n + 1);
	size_t o = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0x10)
			out[o++] = ' ';
		else if (p[i] < 0x20 || p[i] == 0x7F)
			continue;
		else if (p[i] == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
			i++; /* U+0080..U+009F */
		else
			out[o++] = (char)p[i];
	}
	json_t *d = details_text(out, o);
	free(out);
	return d;
}

/* EV_EFI_HANDOFF_TABLES2, EV_EFI_PLATFORM_FIRMWARE_BLOB2: a u8 size then
 * the description; upstream keeps its first size - 1 bytes. */
static json_t *simple_string(const uint8_t *p, size_t n)
{
	if (n < 1 || p[0] == 0 || n < p[0])
		return json_object();
	return text_or_empty(p + 1, (size_t)p[0] - 1);
}

/* The UTF-16LE text as a {"string": ...}; lossy (String::from_utf16_lossy). */
static json_t *utf16_details(const uint8_t *p, size_t units)
{
	char *out = malloc(units * 3 + 1);
	if (out == NULL)
		return NULL;
	size_t o = eventlog_utf16_to_utf8(p, units, true, out);
	json_t *d = details_text(out, o);
	free(out);
	return d;
}

/* EV_IPL: GCE's UTF-16 form (prefix 2e 00, two trailing bytes dropped) or
 * a NUL-terminated string (up to the first NUL; without one, all but the
 * last byte). */
static json_t *ipl(const uint8_t *p, size_t n)
{
	if (n < 2)
		return json_object();
	if (p[0] == 0x2e && p[1] == 0x00) {
		if (n == 2 || n % 2 != 0)
			return json_object();
		return utf16_details(p + 2, (n - 4) / 2);
	}
	const uint8_t *nul = memchr(p, 0, n);
	return text_or_empty(p, nul != NULL ? (size_t)(nul - p) : n - 1);
}

/* UEFI_VARIABLE_DATA: GUID, name length (chars), data length, name, data.
 * The name must be valid UTF-16 (String::from_utf16). */
static json_t *efi_variable(const uint8_t *p, size_t n)
{
	if (n < 32)
		return json_object();
	uint64_t name_len = le64(p + 16), data_len = le64(p + 24);
	if (name_len > (n - 32) / 2 || data_len > n - 32 - 2 * name_len)
		return json_object();
	char *name = malloc((size_t)name_len * 3 + 1);
	if (name == NULL)
		return NULL;
	size_t name_n = eventlog_utf16_to_utf8(p + 32, (size_t)name_len, false, name);
	if (name_n == SIZE_MAX) {
		free(name);
		return json_object();
	}
	char guid[40];
	static const char digits[] = "0123456789abcdef";
	size_t g = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			guid[g++] = '-';
		guid[g++] = digits[p[i] >> 4];
		guid[g++] = digits[p[i] & 15];
	}
	guid[g] = '\0';
	json_t *d = json_object();
	json_t *data = data_len > 0 ? b64_string(p + 32 + 2 * name_len, (size_t)data_len)
	                            : json_string("");
	bool ok = d != NULL && data != NULL &&
	          json_object_set_new(d, "unicode_name", json_stringn(name, name_n)) == 0 &&
	          json_object_set_new(d, "unicode_name_length",
	                              json_integer((json_int_t)name_len)) == 0 &&
	          json_object_set(d, "variable_data", data) == 0 &&
	          json_object_set_new(d, "variable_data_length",
	                              json_integer((json_int_t)data_len)) == 0 &&
	          json_object_set_new(d, "variable_name", json_string(guid)) == 0;
	json_decref(data);
	free(name);
	if (!ok) {
		json_decref(d);
		return NULL;
	}
	return d;
}

#define AAEL_TAG 0x4141454Cu /* "LEAA" on the wire: 'A' 'A' 'E' 'L' read as LE */

/* Splits "domain operation content" at its first two spaces; -1 when it
 * lacks them. */
static int aael_split(const char *s, size_t n, size_t *op, size_t *content)
{
	const char *a = memchr(s, ' ', n);
	if (a == NULL)
		return -1;
	const char *b = memchr(a + 1, ' ', n - (size_t)(a + 1 - s));
	if (b == NULL)
		return -1;
	*op = (size_t)(a - s);
	*content = (size_t)(b - s);
	return 0;
}

/* An AAEL entry's content: JSON when it parses as JSON, else the text
 * (valid UTF-8); NULL only when out of memory. Text that cannot start a
 * JSON value is not handed to the parser, whose allocation failures are
 * not all reported as json_error_out_of_memory. */
static json_t *aael_content(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && strchr(" \t\r\n", s[i]) != NULL && s[i] != '\0')
		i++;
	if (i < n && s[i] != '\0' && strchr("{[\"-0123456789tfn", s[i]) != NULL) {
		json_error_t je;
		json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
		if (v != NULL)
			return v;
		/* a real syntax error comes after the valid first character;
		 * jansson fails its lexer's setup with position 0 */
		if (json_error_code(&je) == json_error_out_of_memory || je.position == 0)
			return NULL;
	}
	return json_stringn(s, n);
}

/* EV_EVENT_TAG: TCG_PCClientTaggedEvent {id, size, data}; the AAEL tag
 * gets the entry split into domain, operation and content. */
static json_t *event_tag(const uint8_t *p, size_t n)
{
	if (n < 8 || le32(p + 4) > n - 8)
		return json_object();
	uint32_t size = le32(p + 4);
	const char *s = (const char *)p + 8;
	size_t op, content;
	if (le32(p) != AAEL_TAG) {
		char *copy = malloc(size + 1u);
		size_t o = 0;
		if (copy == NULL)
			return NULL;
		for (uint32_t i = 0; i < size; i++)
			if (s[i] != '\0')
				copy[o++] = s[i];
		json_t *d = text_or_empty((const uint8_t *)copy, o);
		free(copy);
		return d;
	}
	if (!utf8_valid(p + 8, size) || aael_split(s, size, &op, &content) < 0)
		return json_object();
	json_t *d = json_object(), *data = json_object();
	bool ok = d != NULL && data != NULL &&
	          json_object_set_new(data, "domain", json_stringn(s, op)) == 0 &&
	          json_object_set_new(data, "operation",
	                              json_stringn(s + op + 1, content - op - 1)) == 0 &&
	          json_object_set_new(data, "content",
	                              aael_content(s + content + 1, size - content - 1)) == 0 &&
	          json_object_set_new(d, "string", json_stringn(s, size)) == 0 &&
	          json_object_set_new(d, "unicode_name", json_string("AAEL")) == 0 &&
	          json_object_set(d, "data", data) == 0;
	json_decref(data);
	if (!ok) {
		json_decref(d);
		return NULL;
	}
	return d;
}

/* The details of e; NULL only when out of memory. */
static json_t *details(const eventlog_event *e)
{
	switch (e->type) {
	case 0x1: case 0x5: case 0xC: case 0x12: case 0x80000007:
		return simple(e->data, e->data_len);
	case 0xA:
		return config_flags(e->data, e->data_len);
	case 0x80000003:
		return eventlog_device_paths(e->data, e->data_len);
	case 0x8000000A: case 0x8000000B:
		return simple_string(e->data, e->data_len);
	case 0xD:
		return ipl(e->data, e->data_len);
	case 0x80000001: case 0x80000002: case 0x8000000C: case 0x800000E0:
		return efi_variable(e->data, e->data_len);
	case EVENTLOG_EV_EVENT_TAG:
		return event_tag(e->data, e->data_len);
	default:
		return json_object();
	}
}

/* Whether every digest is the hash of the event data. */
static bool digests_match(const eventlog_event *e)
{
	for (size_t i = 0; i < e->n_digests; i++) {
		const char *md = e->digests[i].alg == EVENTLOG_ALG_SHA1     ? "SHA1"
		                 : e->digests[i].alg == EVENTLOG_ALG_SHA256 ? "SHA256"
		                 : e->digests[i].alg == EVENTLOG_ALG_SHA384 ? "SHA384"
		                 : e->digests[i].alg == EVENTLOG_ALG_SHA512 ? "SHA512"
		                                                            : "SM3";
		uint8_t out[EVP_MAX_MD_SIZE];
		unsigned n = 0;
		EVP_MD *m = EVP_MD_fetch(NULL, md, NULL);
		int ok = m != NULL && EVP_Digest(e->data, e->data_len, out, &n, m, NULL) == 1;
		EVP_MD_free(m);
		if (!ok || n != e->digests[i].size || memcmp(out, e->digests[i].digest, n) != 0)
			return false;
	}
	return true;
}

static json_t *event_json(const eventlog_event *e)
{
	json_t *o = json_object(), *digests = json_array();
	const char *tn = type_name(e->type);
	char unknown[24];
	if (tn == NULL) {
		snprintf(unknown, sizeof(unknown), "0x%08x", e->type);
		tn = unknown;
	}
	bool ok = o != NULL && digests != NULL;
	for (size_t i = 0; ok && i < e->n_digests; i++) {
		json_t *d = json_object();
		ok = d != NULL && json_array_append_new(digests, d) == 0 &&
		     json_object_set_new(d, "alg", json_string(tcg_alg_name(e->digests[i].alg))) ==
		         0 &&
		     json_object_set_new(d, "digest",
		                         hex_string(e->digests[i].digest, e->digests[i].size)) == 0;
	}
	json_t *det = ok ? details(e) : NULL;
	ok = ok && det != NULL && json_object_set_new(o, "details", det) == 0 &&
	     json_object_set_new(o, "digest_matches_event", json_boolean(digests_match(e))) == 0 &&
	     json_object_set(o, "digests", digests) == 0 &&
	     json_object_set_new(o, "event", b64_string(e->data, e->data_len)) == 0 &&
	     json_object_set_new(o, "index", json_integer(e->index)) == 0 &&
	     json_object_set_new(o, "type_name", json_string(tn)) == 0;
	json_decref(digests);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int eventlog_to_json(const eventlog *l, json_t **ret, cc_error **err)
{
	json_t *arr = json_array(), *out = json_object();
	bool ok = arr != NULL && out != NULL && json_object_set(out, "uefi_event_logs", arr) == 0;
	for (size_t i = 0; ok && i < l->n; i++)
		ok = json_array_append_new(arr, event_json(&l->ev[i].pub)) == 0;
	json_decref(arr);
	if (!ok) {
		json_decref(out);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = out;
	return 0;
}

int eventlog_aael_json(const eventlog *l, json_t **ret, cc_error **err)
{
	json_t *out = json_object();
	bool ok = out != NULL;
	for (size_t i = 0; ok && i < l->n; i++) {
		const eventlog_event *e = &l->ev[i].pub;
		if (e->type != EVENTLOG_EV_EVENT_TAG || e->data_len < 8 || le32(e->data) != AAEL_TAG ||
		    le32(e->data + 4) > e->data_len - 8)
			continue;
		const char *s = (const char *)e->data + 8;
		size_t size = le32(e->data + 4), op, content;
		if (!utf8_valid(e->data + 8, size) || aael_split(s, size, &op, &content) < 0)
			continue;
		char dom[256], oper[256];
		if (op >= sizeof(dom) || content - op - 1 >= sizeof(oper))
			continue;
		memcpy(dom, s, op);
		dom[op] = '\0';
		memcpy(oper, s + op + 1, content - op - 1);
		oper[content - op - 1] = '\0';
		json_t *d = json_object_get(out, dom);
		if (d == NULL) {
			d = json_object();
			ok = d != NULL && json_object_set_new(out, dom, d) == 0;
		}
		json_t *list = ok ? json_object_get(d, oper) : NULL;
		if (ok && list == NULL) {
			list = json_array();
			ok = list != NULL && json_object_set_new(d, oper, list) == 0;
		}
		ok = ok && json_array_append_new(list, json_stringn(s + content + 1,
		                                                    size - content - 1)) == 0;
	}
	if (!ok) {
		json_decref(out);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = out;
	return 0;
}
