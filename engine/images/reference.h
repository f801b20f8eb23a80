/* Docker image references: parse, normalise ("busybox" is
 * docker.io/library/busybox:latest) and print in docker's familiar form.
 * Pure string work: no I/O, no allocation beyond the result struct. */
#ifndef POUCH_IMAGES_REFERENCE_H
#define POUCH_IMAGES_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#define REF_NAME_MAX 528
#define REF_TAG_MAX 129
#define REF_DIGEST_MAX 136

struct reference {
    char domain[REF_NAME_MAX];   /* "docker.io", "127.0.0.1:5000" */
    char path[REF_NAME_MAX];     /* "library/busybox" */
    char tag[REF_TAG_MAX];       /* "" when none was given */
    char digest[REF_DIGEST_MAX]; /* "sha256:<64 hex>", "" when none */
};

/* Parse a reference as docker does (ParseNormalizedNamed). Returns 0, or
 * -EINVAL with dockerd's message ("invalid reference format[: ...]"). */
int reference_parse(const char *s, struct reference *ret);
/* Give a tag-less, digest-less reference the "latest" tag. */
void reference_default_tag(struct reference *r);
/* "docker.io/library/busybox" */
void reference_full_name(const struct reference *r, char *buf, size_t cap);
/* docker's familiar form: "busybox", "user/app", "127.0.0.1:5000/a/b" */
void reference_familiar_name(const struct reference *r, char *buf, size_t cap);
/* familiar name plus ":tag" and/or "@digest" as present */
void reference_familiar_string(const struct reference *r, char *buf, size_t cap);
/* True when s is 64 lowercase hex digits (an image ID without "sha256:"). */
bool reference_is_full_id(const char *s);
/* True when s looks like an ID prefix (hex, optionally "sha256:"). */
bool reference_is_id_prefix(const char *s);

#endif
