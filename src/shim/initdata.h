/* The pod's init-data on the host side (docs/initdata.md, docs/shim.md
 * "Init-data"; kata.md §5.2): the sandbox's annotation
 * io.katacontainers.config.hypervisor.cc_init_data, allowed by the
 * configuration's enable_annotations, decoded and validated before the
 * VM boots, written as the device image the guest reads. */
#ifndef COCOON_SHIM_INITDATA_H
#define COCOON_SHIM_INITDATA_H

#include <stdbool.h>

#include "cocoon/error.h"
#include "config.h"

/* Kata's checkAnnotationNameIsValid for the hypervisor annotations: name
 * (after "io.katacontainers.config.hypervisor.") matches one of
 * c->enable_annotations (POSIX extended regular expressions, unanchored,
 * as Go's regexp.MatchString). */
bool shim_annotation_enabled(const struct shim_config *c, const char *name);

/* For the sandbox's annotation value b64 (NULL: the pod has none, and
 * *ret_img is NULL): checks it is enabled, decodes and validates it,
 * writes <state_dir>/initdata.img (the device image) and
 * <state_dir>/initdata.json (algorithm, digest, and the values SNP
 * HOST_DATA, TDX MRCONFIGID and TPM PCR 8 take, in hex: the hook where a
 * TEE's launch takes them). *ret_img is the image's path (a new string).
 * Errors are INVALID_ARGUMENT naming the annotation and what was wrong. */
int shim_initdata_prepare(const struct shim_config *c, const char *state_dir, const char *b64,
                          char **ret_img, cc_error **err);

#endif
