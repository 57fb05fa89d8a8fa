/* UEFI device paths of EV_EFI_BOOT_SERVICES_APPLICATION events as text, the
 * way Trustee's deps/eventlog prints them (UEFI 2.10 §10.3 nodes, §10.6
 * text forms for the nodes it knows; "Path(type,subtype,hex)" for the
 * others). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eventlog_int.h"

typedef struct strbuf {
	char *p;
	size_t len, cap;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < b->cap - b->len ? (size_t)n : b->cap - b->len - 1;
}

static void sb_hex(strbuf *b, const uint8_t *p, size_t n, bool upper)
{
	for (size_t i = 0; i < n; i++)
		sb_printf(b, upper ? "%02X" : "%02x", p[i]);
}

/* A GUID in its registry form (first three fields little-endian). */
static void sb_guid(strbuf *b, const uint8_t *g)
{
	sb_printf(b, "%08X-%04X-%04X-%02X%02X-", le32(g), (unsigned)(g[4] | g[5] << 8),
	          (unsigned)(g[6] | g[7] << 8), g[8], g[9]);
	sb_hex(b, g + 10, 6, true);
}

/* UTF-16LE (lone surrogates as U+FFFD) into b as UTF-8. */
static void sb_utf16(strbuf *b, const uint8_t *p, size_t units)
{
	if (b->cap - b->len < 3 * units + 1)
		return; /* cannot happen: the caller sized the buffer */
	b->len += eventlog_utf16_to_utf8(p, units, true, b->p + b->len);
	b->p[b->len] = '\0';
}

static void sb_ipv4(strbuf *b, uint32_t a)
{
	sb_printf(b, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* One node's text; false when upstream's typed parser would refuse it (the
 * caller then prints the generic form). */
static bool node_text(strbuf *b, uint8_t type, uint8_t sub, const uint8_t *d, size_t n)
{
	if (type == 1 && sub == 1 && n >= 2) {
		sb_printf(b, "Pci(%u,%u)", d[0], d[1]);
		return true;
	}
	if (type == 2 && sub == 1 && n >= 8) {
		uint32_t hid = le32(d), v = hid & 0xFFFF;
		sb_printf(b, "ACPI(%c%c%c%04X,%u)", (char)(((v >> 10) & 31) + '@'),
		          (char)(((v >> 5) & 31) + '@'), (char)((v & 31) + '@'), hid >> 16, le32(d + 4));
		return true;
	}
	if (type == 3 && sub == 0x05 && n >= 2) {
		sb_printf(b, "USB(%u,%u)", d[0], d[1]);
		return true;
	}
	if (type == 3 && sub == 0x15 && n >= 16) {
		sb_printf(b, "FibreEx(0x");
		sb_hex(b, d, 8, false);
		sb_printf(b, ",0x");
		sb_hex(b, d + 8, 8, false);
		sb_printf(b, ")");
		return true;
	}
	if (type == 3 && sub == 0x0B && n >= 33) {
		char mac[63];
		for (size_t i = 0; i < 31; i++)
			snprintf(mac + 2 * i, 3, "%02X", d[i]);
		size_t len = 62;
		while (len > 0 && mac[len - 1] == '0')
			len--;
		sb_printf(b, "Mac(%.*s,0x%02X)", (int)len, mac, d[32]);
		return true;
	}
	if (type == 3 && sub == 0x0C && n >= 23) {
		uint16_t proto = (uint16_t)(d[12] | d[13] << 8);
		uint8_t kind = d[14];
		uint32_t gw = le32(d + 15), mask = le32(d + 19);
		sb_printf(b, "IPv4(");
		sb_ipv4(b, le32(d + 4));
		sb_printf(b, ",%s,%s,", proto == 6 ? "TCP" : proto == 17 ? "UDP" : "",
		          kind == 0 ? "DHCP" : kind == 1 ? "Static" : "");
		sb_ipv4(b, le32(d));
		if (gw != 0 || mask != 0)
			sb_printf(b, ",%u,%u", gw, mask);
		sb_printf(b, ")");
		return true;
	}
	if (type == 4 && sub == 1 && n >= 38 && (d[36] == 1 || d[36] == 2)) {
		uint32_t part = le32(d);
		sb_printf(b, "HD(%u,%s,", part, d[36] == 1 ? "MBR" : "GPT");
		if (d[36] == 1)
			sb_printf(b, "0x%08x", le32(d + 20));
		else
			sb_guid(b, d + 20);
		if (part != 0)
			sb_printf(b, ",0x%llx,0x%llx", (unsigned long long)le64(d + 4),
			          (unsigned long long)le64(d + 12));
		sb_printf(b, ")");
		return true;
	}
	if (type == 4 && sub == 3 && n >= 16) {
		sb_printf(b, "VenMedia(");
		sb_guid(b, d);
		sb_printf(b, ",");
		sb_hex(b, d + 16, n - 16, false);
		sb_printf(b, ")");
		return true;
	}
	if (type == 4 && sub == 4 && n >= 2 && n % 2 == 0) {
		sb_printf(b, "File(");
		sb_utf16(b, d, (n - 2) / 2);
		sb_printf(b, ")");
		return true;
	}
	return false;
}

json_t *eventlog_device_paths(const uint8_t *p, size_t n)
{
	/* UEFI_IMAGE_LOAD_EVENT: three u64, LengthOfDevicePath, DevicePath;
	 * the last 4 bytes (the end node) are not printed. Malformed: {}. */
	if (n < 32)
		return json_object();
	uint64_t len = le64(p + 24);
	if (len == 0 || len < 4 || len - 4 > n - 32 || len - 4 < 4)
		return json_object();
	const uint8_t *d = p + 32;
	size_t left = (size_t)len - 4;
	/* every node's text fits 3 bytes a data byte (UTF-16 as UTF-8, hex
	 * is 2) plus its fixed words */
	size_t cap = 3 * left + 128;
	char *text = malloc(cap);
	json_t *list = json_array();
	bool malformed = false, ok = text != NULL && list != NULL;
	while (ok && left > 0) {
		size_t node = left >= 4 ? (size_t)(d[2] | d[3] << 8) : 0;
		if (node < 4 || node > left) {
			malformed = true;
			break;
		}
		strbuf b = {text, 0, cap};
		text[0] = '\0';
		if (!node_text(&b, d[0], d[1], d + 4, node - 4)) {
			b.len = 0;
			text[0] = '\0';
			sb_printf(&b, "Path(%u,%u,", d[0], d[1]);
			sb_hex(&b, d + 4, node - 4, false);
			sb_printf(&b, ")");
		}
		ok = json_array_append_new(list, json_stringn(text, b.len)) == 0;
		d += node;
		left -= node;
	}
	free(text);
	json_t *out = ok ? json_object() : NULL;
	if (out != NULL && !malformed && json_object_set(out, "device_paths", list) < 0) {
		json_decref(out);
		out = NULL;
	}
	json_decref(list);
	return out;
}
