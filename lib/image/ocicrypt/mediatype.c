/* Encrypted layer media types (image-spec media-types.md plus ocicrypt's
 * "+encrypted" suffix, containers/ocicrypt spec/spec.go). */
#include <string.h>

#include "ocicrypt.h"

static const struct {
	const char *plain;
	const char *enc;
} media_types[] = {
	{"application/vnd.oci.image.layer.v1.tar",
	 "application/vnd.oci.image.layer.v1.tar+encrypted"},
	{"application/vnd.oci.image.layer.v1.tar+gzip",
	 "application/vnd.oci.image.layer.v1.tar+gzip+encrypted"},
	{"application/vnd.oci.image.layer.v1.tar+zstd",
	 "application/vnd.oci.image.layer.v1.tar+zstd+encrypted"},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar",
	 "application/vnd.oci.image.layer.nondistributable.v1.tar+encrypted"},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	 "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip+encrypted"},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	 "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd+encrypted"},
};

#define N_MEDIA_TYPES (sizeof(media_types) / sizeof(media_types[0]))

bool ocicrypt_media_type_is_encrypted(const char *mt)
{
	return ocicrypt_media_type_plain(mt) != NULL;
}

const char *ocicrypt_media_type_plain(const char *mt)
{
	if (mt == NULL)
		return NULL;
	for (size_t i = 0; i < N_MEDIA_TYPES; i++)
		if (strcmp(mt, media_types[i].enc) == 0)
			return media_types[i].plain;
	return NULL;
}

const char *ocicrypt_media_type_encrypted(const char *mt)
{
	if (mt == NULL)
		return NULL;
	/* Go ocicrypt (images/encryption.go in containers/image) encrypts
	 * Docker gzip layers as OCI tar+gzip+encrypted. */
	if (strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar.gzip") == 0)
		return media_types[1].enc;
	for (size_t i = 0; i < N_MEDIA_TYPES; i++)
		if (strcmp(mt, media_types[i].plain) == 0)
			return media_types[i].enc;
	return NULL;
}
