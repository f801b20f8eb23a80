/* libFuzzer target: image references ("host:5000/a/b:tag@sha256:…") from the
 * network. A reference that parses must print back to a familiar string
 * that parses to the same reference. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[600];
    if (size >= sizeof(in))
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    struct reference a, b;
    if (reference_parse(in, &a) < 0)
        return 0;
    char fam[1200];
    reference_familiar_string(&a, fam, sizeof(fam));
    if (reference_parse(fam, &b) < 0 || strcmp(a.domain, b.domain) || strcmp(a.path, b.path) || strcmp(a.tag, b.tag) ||
        strcmp(a.digest, b.digest)) {
        fprintf(stderr, "fuzz-reference: \"%s\" printed as \"%s\" does not parse back the same\n", in, fam);
        abort();
    }
    return 0;
}
