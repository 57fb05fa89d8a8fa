/* Certificates and certificate requests as Rego values, in the shape Go's
 * encoding/json gives crypto/x509's Certificate and CertificateRequest
 * structs (OPA v0.47 marshals them as they are, plus URIStrings), read
 * from OpenSSL's parsed X509 / X509_REQ. Field numbering (SignatureAlgorithm,
 * PublicKeyAlgorithm, KeyUsage, ExtKeyUsage) follows Go's x509 constants.
 * Not filled (always null or false as for a certificate without them):
 * name constraints, UnhandledCriticalExtensions, CSR Attributes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "../hex.h"
#include "../rctx.h"
#include "crypto_int.h"

/* Most items one list field of a certificate takes (SANs, extensions). */
#define CERT_MAX_ITEMS ((int)CC_REGO_CRYPTO_MAX_CERT_ITEMS)

const rv *rcr_oid(rarena *a, const ASN1_OBJECT *obj)
{
	char txt[256];
	int n = OBJ_obj2txt(txt, sizeof(txt), obj, 1);
	if (n <= 0 || (size_t)n >= sizeof(txt))
		return rv_empty_arr();
	const rv *arcs[64];
	size_t k = 0;
	const char *p = txt;
	while (*p && k < 64) {
		const char *e = strchr(p, '.');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		arcs[k] = rv_num_parse(a, p, len);
		if (arcs[k] == NULL)
			return NULL;
		k++;
		p += len;
		if (*p == '.')
			p++;
	}
	return rv_arr(a, arcs, k);
}

static const rv *der_of(rarena *a, int len, unsigned char *der)
{
	const rv *v = len > 0 ? rcr_bytes(a, der, (size_t)len) : rv_null();
	OPENSSL_free(der);
	return v;
}

static const rv *asn1_text(rarena *a, const ASN1_STRING *s)
{
	unsigned char *u = NULL;
	int n = ASN1_STRING_to_UTF8(&u, s);
	if (n < 0)
		return rv_empty_str();
	const rv *v = rv_str(a, (const char *)u, (size_t)n);
	OPENSSL_free(u);
	return v;
}

/* Appends v to a list (created on first use; Go's nil slice is null). */
static void list_add(rvec *l, const rv *v, bool *bad)
{
	if (v == NULL || l->n >= (size_t)CERT_MAX_ITEMS || rvec_push(l, v) < 0)
		*bad = true;
}

static const rv *list_val(rvec *l)
{
	return l->n ? rvec_to_arr(l) : rv_null();
}

/* pkix.Name: FillFromRDNSequence. */
static const rv *name_value(rarena *a, const X509_NAME *nm)
{
	static const struct {
		int nid;
		const char *field;
	} lists[] = {
	    {NID_countryName, "Country"}, {NID_organizationName, "Organization"},
	    {NID_organizationalUnitName, "OrganizationalUnit"}, {NID_localityName, "Locality"},
	    {NID_stateOrProvinceName, "Province"}, {NID_streetAddress, "StreetAddress"},
	    {NID_postalCode, "PostalCode"},
	};
	enum { NLISTS = sizeof(lists) / sizeof(lists[0]) };
	rvec l[NLISTS], names;
	for (size_t i = 0; i < NLISTS; i++)
		rvec_init(&l[i], a);
	rvec_init(&names, a);
	const rv *cn = rv_empty_str(), *serial = rv_empty_str();
	bool bad = false;
	int count = X509_NAME_entry_count(nm);
	for (int i = 0; i < count && i < CERT_MAX_ITEMS; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(e);
		const rv *val = asn1_text(a, X509_NAME_ENTRY_get_data(e));
		struct rcr_ob tv;
		rcr_ob_init(&tv, a);
		rcr_ob_put(&tv, "Type", rcr_oid(a, o));
		rcr_ob_put(&tv, "Value", val);
		list_add(&names, rcr_ob_done(&tv), &bad);
		int nid = OBJ_obj2nid(o);
		if (nid == NID_commonName)
			cn = val;
		else if (nid == NID_serialNumber)
			serial = val;
		for (size_t j = 0; j < NLISTS; j++)
			if (lists[j].nid == nid)
				list_add(&l[j], val, &bad);
	}
	struct rcr_ob o;
	rcr_ob_init(&o, a);
	for (size_t j = 0; j < NLISTS; j++)
		rcr_ob_put(&o, lists[j].field, list_val(&l[j]));
	rcr_ob_put(&o, "SerialNumber", serial);
	rcr_ob_put(&o, "CommonName", cn);
	rcr_ob_put(&o, "Names", list_val(&names));
	rcr_ob_put(&o, "ExtraNames", rv_null());
	return bad ? NULL : rcr_ob_done(&o);
}

/* time.Time's MarshalJSON (RFC 3339, UTC as certificates hold it). */
static const rv *time_value(rarena *a, const ASN1_TIME *t)
{
	struct tm tm;
	char buf[64];
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return rv_cstr(a, "0001-01-01T00:00:00Z");
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return rv_cstr(a, buf);
}

/* net.IP's String(): IPv4 (also IPv4-mapped IPv6) dotted, IPv6 RFC 5952. */
static const rv *ip_value(rarena *a, const ASN1_OCTET_STRING *ip)
{
	const unsigned char *p = ASN1_STRING_get0_data(ip);
	int n = ASN1_STRING_length(ip);
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char buf[INET6_ADDRSTRLEN];
	if (n == 16 && memcmp(p, mapped, 12) == 0) {
		p += 12;
		n = 4;
	}
	if (n == 4 || n == 16) {
		if (inet_ntop(n == 4 ? AF_INET : AF_INET6, p, buf, sizeof(buf)) == NULL)
			return NULL;
		return rv_cstr(a, buf);
	}
	/* Go prints other lengths as "?" followed by hex. */
	char hex[2 * 255 + 2] = "?";
	for (int i = 0; i < n && i < 255; i++)
		snprintf(hex + 1 + 2 * i, 3, "%02x", p[i]);
	return rv_cstr(a, hex);
}

/* Percent-decoded copy of [p, p+n) (url.PathUnescape); a bad escape is
 * kept as it is. */
static const rv *unescape(rarena *a, const char *p, size_t n)
{
	char *o = rarena_alloc(a, n + 1);
	if (o == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int hi = i + 2 < n && p[i] == '%' ? rhex_digit((unsigned char)p[i + 1]) : -1;
		int lo = hi >= 0 ? rhex_digit((unsigned char)p[i + 2]) : -1;
		if (lo >= 0) {
			o[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			o[k++] = p[i];
		}
	}
	return rv_str(a, o, k);
}

/* url.URL as Go marshals it (the fields of url.Parse's result; User is
 * a *Userinfo with unexported fields, so {} when present). */
static const rv *url_value(rarena *a, const char *s, size_t n)
{
	const char *end = s + n, *p = s;
	const rv *scheme = rv_empty_str(), *opaque = rv_empty_str(), *host = rv_empty_str();
	const rv *path = rv_empty_str(), *query = rv_empty_str(), *frag = rv_empty_str();
	const rv *user = rv_null();
	const char *hash = memchr(s, '#', n);
	if (hash) {
		frag = unescape(a, hash + 1, (size_t)(end - hash - 1));
		end = hash;
	}
	const char *colon = memchr(s, ':', (size_t)(end - s));
	if (colon && colon > s) {
		scheme = rv_str(a, s, (size_t)(colon - s));
		p = colon + 1;
	}
	const char *q = memchr(p, '?', (size_t)(end - p));
	if (q) {
		query = rv_str(a, q + 1, (size_t)(end - q - 1));
		end = q;
	}
	if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
		p += 2;
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *he = slash ? slash : end;
		const char *at = NULL;
		for (const char *c = p; c < he; c++)
			if (*c == '@')
				at = c;
		if (at) {
			user = rv_empty_obj();
			p = at + 1;
		}
		host = rv_str(a, p, (size_t)(he - p));
		p = he;
		path = unescape(a, p, (size_t)(end - p));
	} else if (colon && p < end && *p != '/') {
		opaque = rv_str(a, p, (size_t)(end - p));
	} else {
		path = unescape(a, p, (size_t)(end - p));
	}
	struct rcr_ob o;
	rcr_ob_init(&o, a);
	rcr_ob_put(&o, "Scheme", scheme);
	rcr_ob_put(&o, "Opaque", opaque);
	rcr_ob_put(&o, "User", user);
	rcr_ob_put(&o, "Host", host);
	rcr_ob_put(&o, "Path", path);
	rcr_ob_put(&o, "RawPath", rv_empty_str());
	rcr_ob_put(&o, "OmitHost", rv_false());
	rcr_ob_put(&o, "ForceQuery", rv_false());
	rcr_ob_put(&o, "RawQuery", query);
	rcr_ob_put(&o, "Fragment", frag);
	rcr_ob_put(&o, "RawFragment", rv_empty_str());
	return rcr_ob_done(&o);
}

/* Subject alternative names: DNSNames, EmailAddresses, IPAddresses, URIs
 * (and OPA's URIStrings). */
static void put_sans(struct rcr_ob *o, const STACK_OF(GENERAL_NAME) *gens, bool uri_strings)
{
	rarena *a = o->a;
	rvec dns, email, ip, uri, uris;
	rvec_init(&dns, a);
	rvec_init(&email, a);
	rvec_init(&ip, a);
	rvec_init(&uri, a);
	rvec_init(&uris, a);
	bool bad = false;
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && i < CERT_MAX_ITEMS; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = g->d.ia5;
		const char *p = (const char *)ASN1_STRING_get0_data(s);
		size_t n = (size_t)ASN1_STRING_length(s);
		switch (g->type) {
		case GEN_DNS:
			list_add(&dns, rv_str(a, p, n), &bad);
			break;
		case GEN_EMAIL:
			list_add(&email, rv_str(a, p, n), &bad);
			break;
		case GEN_IPADD:
			list_add(&ip, ip_value(a, g->d.iPAddress), &bad);
			break;
		case GEN_URI:
			list_add(&uri, url_value(a, p, n), &bad);
			list_add(&uris, rv_str(a, p, n), &bad);
			break;
		default:
			break;
		}
	}
	if (bad)
		o->bad = true;
	rcr_ob_put(o, "DNSNames", list_val(&dns));
	rcr_ob_put(o, "EmailAddresses", list_val(&email));
	rcr_ob_put(o, "IPAddresses", list_val(&ip));
	rcr_ob_put(o, "URIs", list_val(&uri));
	if (uri_strings)
		rcr_ob_put(o, "URIStrings", list_val(&uris));
}

/* pkix.Extension list. */
static const rv *exts_value(rarena *a, const STACK_OF(X509_EXTENSION) *exts)
{
	rvec l;
	rvec_init(&l, a);
	bool bad = false;
	for (int i = 0; i < sk_X509_EXTENSION_num(exts) && i < CERT_MAX_ITEMS; i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(e);
		struct rcr_ob o;
		rcr_ob_init(&o, a);
		rcr_ob_put(&o, "Id", rcr_oid(a, X509_EXTENSION_get_object(e)));
		rcr_ob_put(&o, "Critical", rv_bool(X509_EXTENSION_get_critical(e) > 0));
		rcr_ob_put(&o, "Value", rcr_bytes(a, ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d)));
		list_add(&l, rcr_ob_done(&o), &bad);
	}
	return bad ? NULL : list_val(&l);
}

/* Go's x509.SignatureAlgorithm. */
static int sig_alg(int sig_nid, int md_nid)
{
	switch (sig_nid) {
	case NID_md2WithRSAEncryption: return 1;
	case NID_md5WithRSAEncryption: return 2;
	case NID_sha1WithRSAEncryption: return 3;
	case NID_sha256WithRSAEncryption: return 4;
	case NID_sha384WithRSAEncryption: return 5;
	case NID_sha512WithRSAEncryption: return 6;
	case NID_dsaWithSHA1: return 7;
	case NID_dsa_with_SHA256: return 8;
	case NID_ecdsa_with_SHA1: return 9;
	case NID_ecdsa_with_SHA256: return 10;
	case NID_ecdsa_with_SHA384: return 11;
	case NID_ecdsa_with_SHA512: return 12;
	case NID_rsassaPss:
		return md_nid == NID_sha256 ? 13 : md_nid == NID_sha384 ? 14 : md_nid == NID_sha512 ? 15 : 0;
	case NID_ED25519: return 16;
	default: return 0;
	}
}

/* Go's x509.KeyUsage bits from OpenSSL's KU_* flags. */
static int64_t key_usage(uint32_t ku)
{
	if (ku == UINT32_MAX)
		return 0;
	int64_t out = 0;
	for (int i = 0; i < 8; i++)
		if (ku & (0x80u >> i))
			out |= (int64_t)1 << i;
	if (ku & KU_DECIPHER_ONLY)
		out |= 1 << 8;
	return out;
}

/* ExtKeyUsage (Go's numbering) and UnknownExtKeyUsage. */
static void put_eku(struct rcr_ob *o, X509 *x)
{
	static const int nids[] = {
	    NID_anyExtendedKeyUsage, NID_server_auth, NID_client_auth, NID_code_sign,
	    NID_email_protect, NID_ipsecEndSystem, NID_ipsecTunnel, NID_ipsecUser,
	    NID_time_stamp, NID_OCSP_sign, NID_ms_sgc, NID_ns_sgc, NID_ms_code_com,
	};
	rarena *a = o->a;
	rvec known, unknown;
	rvec_init(&known, a);
	rvec_init(&unknown, a);
	bool bad = false;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku) && i < CERT_MAX_ITEMS; i++) {
		const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(obj);
		size_t j = 0;
		while (j < sizeof(nids) / sizeof(nids[0]) && nids[j] != nid)
			j++;
		if (j < sizeof(nids) / sizeof(nids[0]))
			list_add(&known, rv_int(a, (int64_t)j), &bad);
		else
			list_add(&unknown, rcr_oid(a, obj), &bad);
	}
	EXTENDED_KEY_USAGE_free(eku);
	if (bad)
		o->bad = true;
	rcr_ob_put(o, "ExtKeyUsage", list_val(&known));
	rcr_ob_put(o, "UnknownExtKeyUsage", list_val(&unknown));
}

static void put_basic_constraints(struct rcr_ob *o, X509 *x)
{
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	int64_t maxlen = 0;
	if (bc) {
		maxlen = -1;
		if (bc->pathlen && !ASN1_INTEGER_get_int64(&maxlen, bc->pathlen))
			maxlen = -1;
	}
	rcr_ob_put(o, "BasicConstraintsValid", rv_bool(bc != NULL));
	rcr_ob_put(o, "IsCA", rv_bool(bc && bc->ca));
	rcr_ob_put(o, "MaxPathLen", rv_int(o->a, maxlen));
	rcr_ob_put(o, "MaxPathLenZero", rv_bool(bc && maxlen == 0));
	BASIC_CONSTRAINTS_free(bc);
}

/* OCSPServer and IssuingCertificateURL (authority information access). */
static void put_aia(struct rcr_ob *o, X509 *x)
{
	rarena *a = o->a;
	rvec ocsp, issuer;
	rvec_init(&ocsp, a);
	rvec_init(&issuer, a);
	bool bad = false;
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia) && i < CERT_MAX_ITEMS; i++) {
		const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		if (ad->location->type != GEN_URI)
			continue;
		const ASN1_IA5STRING *s = ad->location->d.uniformResourceIdentifier;
		const rv *v = rv_str(a, (const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
		int nid = OBJ_obj2nid(ad->method);
		if (nid == NID_ad_OCSP)
			list_add(&ocsp, v, &bad);
		else if (nid == NID_ad_ca_issuers)
			list_add(&issuer, v, &bad);
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	if (bad)
		o->bad = true;
	rcr_ob_put(o, "OCSPServer", list_val(&ocsp));
	rcr_ob_put(o, "IssuingCertificateURL", list_val(&issuer));
}

/* CRLDistributionPoints (full-name URIs) and PolicyIdentifiers. */
static void put_crl_policies(struct rcr_ob *o, X509 *x)
{
	rarena *a = o->a;
	rvec crl, pol;
	rvec_init(&crl, a);
	rvec_init(&pol, a);
	bool bad = false;
	CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	for (int i = 0; dps && i < sk_DIST_POINT_num(dps) && i < CERT_MAX_ITEMS; i++) {
		const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		const STACK_OF(GENERAL_NAME) *names = dp->distpoint->name.fullname;
		for (int j = 0; j < sk_GENERAL_NAME_num(names) && j < CERT_MAX_ITEMS; j++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, j);
			if (g->type == GEN_URI)
				list_add(&crl, rv_str(a, (const char *)ASN1_STRING_get0_data(g->d.ia5),
				                      (size_t)ASN1_STRING_length(g->d.ia5)), &bad);
		}
	}
	CRL_DIST_POINTS_free(dps);
	CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	for (int i = 0; cp && i < sk_POLICYINFO_num(cp) && i < CERT_MAX_ITEMS; i++)
		list_add(&pol, rcr_oid(a, sk_POLICYINFO_value(cp, i)->policyid), &bad);
	CERTIFICATEPOLICIES_free(cp);
	if (bad)
		o->bad = true;
	rcr_ob_put(o, "CRLDistributionPoints", list_val(&crl));
	rcr_ob_put(o, "PolicyIdentifiers", list_val(&pol));
}

static const rv *octets(rarena *a, const ASN1_OCTET_STRING *s)
{
	return s ? rcr_bytes(a, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s)) : rv_null();
}

static void put_raw(struct rcr_ob *o, X509 *x)
{
	rarena *a = o->a;
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	rcr_ob_put(o, "Raw", der_of(a, n, der));
	der = NULL;
	n = i2d_re_X509_tbs(x, &der);
	rcr_ob_put(o, "RawTBSCertificate", der_of(a, n, der));
	der = NULL;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	rcr_ob_put(o, "RawSubjectPublicKeyInfo", der_of(a, n, der));
	der = NULL;
	n = i2d_X509_NAME(X509_get_subject_name(x), &der);
	rcr_ob_put(o, "RawSubject", der_of(a, n, der));
	der = NULL;
	n = i2d_X509_NAME(X509_get_issuer_name(x), &der);
	rcr_ob_put(o, "RawIssuer", der_of(a, n, der));
}

static void put_sig_key(struct rcr_ob *o, const ASN1_BIT_STRING *sig, int sig_nid, int md_nid,
                        const EVP_PKEY *pk)
{
	rarena *a = o->a;
	rcr_ob_put(o, "Signature", sig ? rcr_bytes(a, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig)) : rv_null());
	rcr_ob_put(o, "SignatureAlgorithm", rv_int(a, sig_alg(sig_nid, md_nid)));
	rcr_ob_put(o, "PublicKeyAlgorithm", rv_int(a, pk ? rcr_pubkey_alg(pk) : 0));
	rcr_ob_put(o, "PublicKey", pk ? rcr_pubkey_value(a, pk) : rv_null());
}

/* The first list field of x with more than CERT_MAX_ITEMS items, or NULL.
 * The value builders above stop at the cap; a certificate over it is
 * refused (a limit error) before, so that no item is silently dropped. */
const char *rcr_cert_over_cap(X509 *x)
{
	int cap = CERT_MAX_ITEMS;
	if (X509_NAME_entry_count(X509_get_subject_name(x)) > cap)
		return "Subject";
	if (X509_NAME_entry_count(X509_get_issuer_name(x)) > cap)
		return "Issuer";
	if (X509_get_ext_count(x) > cap)
		return "Extensions";
	static const struct {
		int nid;
		const char *name;
	} lists[] = {
		{NID_subject_alt_name, "SubjectAltName"}, {NID_ext_key_usage, "ExtKeyUsage"},
		{NID_info_access, "AuthorityInfoAccess"}, {NID_crl_distribution_points, "CRLDistributionPoints"},
		{NID_certificate_policies, "PolicyIdentifiers"},
	};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		void *v = X509_get_ext_d2i(x, lists[i].nid, NULL, NULL);
		if (v == NULL)
			continue;
		int n = sk_num((const OPENSSL_STACK *)v);
		bool over = n > cap;
		if (lists[i].nid == NID_crl_distribution_points)
			for (int j = 0; !over && j < n; j++) {
				DIST_POINT *dp = sk_DIST_POINT_value((STACK_OF(DIST_POINT) *)v, j);
				const GENERAL_NAMES *g = dp->distpoint && dp->distpoint->type == 0
				                             ? dp->distpoint->name.fullname
				                             : NULL;
				over = g != NULL && sk_GENERAL_NAME_num(g) > cap;
			}
		switch (lists[i].nid) {
		case NID_subject_alt_name: GENERAL_NAMES_free(v); break;
		case NID_ext_key_usage: EXTENDED_KEY_USAGE_free(v); break;
		case NID_info_access: AUTHORITY_INFO_ACCESS_free(v); break;
		case NID_crl_distribution_points: CRL_DIST_POINTS_free(v); break;
		default: CERTIFICATEPOLICIES_free(v); break;
		}
		ERR_clear_error();
		if (over)
			return lists[i].name;
	}
	return NULL;
}

const rv *rcr_cert_value(rarena *a, X509 *x)
{
	struct rcr_ob o;
	rcr_ob_init(&o, a);
	put_raw(&o, x);
	const ASN1_BIT_STRING *sig = NULL;
	X509_get0_signature(&sig, NULL, x);
	int md_nid = NID_undef, pk_nid = NID_undef;
	X509_get_signature_info(x, &md_nid, &pk_nid, NULL, NULL);
	put_sig_key(&o, sig, X509_get_signature_nid(x), md_nid, X509_get0_pubkey(x));
	rcr_ob_put(&o, "Version", rv_int(a, X509_get_version(x) + 1));
	BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	rcr_ob_put(&o, "SerialNumber", serial ? rcr_bn(a, serial) : NULL);
	BN_free(serial);
	rcr_ob_put(&o, "Issuer", name_value(a, X509_get_issuer_name(x)));
	rcr_ob_put(&o, "Subject", name_value(a, X509_get_subject_name(x)));
	rcr_ob_put(&o, "NotBefore", time_value(a, X509_get0_notBefore(x)));
	rcr_ob_put(&o, "NotAfter", time_value(a, X509_get0_notAfter(x)));
	rcr_ob_put(&o, "KeyUsage", rv_int(a, key_usage(X509_get_key_usage(x))));
	rcr_ob_put(&o, "Extensions", exts_value(a, X509_get0_extensions(x)));
	rcr_ob_put(&o, "ExtraExtensions", rv_null());
	rcr_ob_put(&o, "UnhandledCriticalExtensions", rv_null());
	put_eku(&o, x);
	put_basic_constraints(&o, x);
	rcr_ob_put(&o, "SubjectKeyId", octets(a, X509_get0_subject_key_id(x)));
	rcr_ob_put(&o, "AuthorityKeyId", octets(a, X509_get0_authority_key_id(x)));
	put_aia(&o, x);
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	put_sans(&o, sans, true);
	GENERAL_NAMES_free(sans);
	rcr_ob_put(&o, "PermittedDNSDomainsCritical", rv_false());
	static const char *const constraints[] = {
	    "PermittedDNSDomains", "ExcludedDNSDomains", "PermittedIPRanges", "ExcludedIPRanges",
	    "PermittedEmailAddresses", "ExcludedEmailAddresses", "PermittedURIDomains", "ExcludedURIDomains",
	};
	for (size_t i = 0; i < sizeof(constraints) / sizeof(constraints[0]); i++)
		rcr_ob_put(&o, constraints[i], rv_null());
	put_crl_policies(&o, x);
	return rcr_ob_done(&o);
}

/* CertificateRequest.Attributes as Go's parseRawAttributes reads them:
 * only an extension request parses as [][]AttributeTypeAndValue (each
 * extension's id and value; one with a critical flag does not fit, and
 * Go then drops the attribute); other attributes are dropped. */
static const rv *csr_attributes(rarena *a, const STACK_OF(X509_EXTENSION) *exts)
{
	int n = sk_X509_EXTENSION_num(exts);
	if (n <= 0)
		return rv_null();
	rvec l;
	rvec_init(&l, a);
	bool bad = false;
	for (int i = 0; i < n && i < CERT_MAX_ITEMS; i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		if (X509_EXTENSION_get_critical(e) > 0)
			return rv_null();
		const ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(e);
		struct rcr_ob tv;
		rcr_ob_init(&tv, a);
		rcr_ob_put(&tv, "Type", rcr_oid(a, X509_EXTENSION_get_object(e)));
		rcr_ob_put(&tv, "Value", rcr_bytes(a, ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d)));
		list_add(&l, rcr_ob_done(&tv), &bad);
	}
	if (bad)
		return NULL;
	const rv *set = rvec_to_arr(&l);
	const rv *sets = set ? rv_arr(a, &set, 1) : NULL;
	ASN1_OBJECT *req = OBJ_nid2obj(NID_ext_req);
	struct rcr_ob o;
	rcr_ob_init(&o, a);
	rcr_ob_put(&o, "Type", rcr_oid(a, req));
	rcr_ob_put(&o, "Value", sets);
	const rv *attr = rcr_ob_done(&o);
	return attr ? rv_arr(a, &attr, 1) : NULL;
}

const rv *rcr_csr_value(rarena *a, X509_REQ *req)
{
	struct rcr_ob o;
	rcr_ob_init(&o, a);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	rcr_ob_put(&o, "Raw", der_of(a, n, der));
	der = NULL;
	n = i2d_re_X509_REQ_tbs(req, &der);
	rcr_ob_put(&o, "RawTBSCertificateRequest", der_of(a, n, der));
	der = NULL;
	n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &der);
	rcr_ob_put(&o, "RawSubjectPublicKeyInfo", der_of(a, n, der));
	der = NULL;
	n = i2d_X509_NAME(X509_REQ_get_subject_name(req), &der);
	rcr_ob_put(&o, "RawSubject", der_of(a, n, der));
	rcr_ob_put(&o, "Version", rv_int(a, X509_REQ_get_version(req)));
	const ASN1_BIT_STRING *sig = NULL;
	const X509_ALGOR *alg = NULL;
	X509_REQ_get0_signature(req, &sig, &alg);
	put_sig_key(&o, sig, X509_REQ_get_signature_nid(req), NID_undef, X509_REQ_get0_pubkey(req));
	rcr_ob_put(&o, "Subject", name_value(a, X509_REQ_get_subject_name(req)));
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	rcr_ob_put(&o, "Attributes", csr_attributes(a, exts));
	rcr_ob_put(&o, "Extensions", exts_value(a, exts));
	rcr_ob_put(&o, "ExtraExtensions", rv_null());
	GENERAL_NAMES *sans = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	put_sans(&o, sans, false);
	GENERAL_NAMES_free(sans);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rcr_ob_done(&o);
}
