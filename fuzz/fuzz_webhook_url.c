/* fuzz_webhook_url.c - config.webhook_url: webhook_url_check
 * (src/domain/webhook_url.c, libcurl's URL parser) on any string, both
 * with and without private addresses allowed, and the address classifier
 * on the same bytes as a bare host.
 * Input: the URL (NUL cuts it short, as JSON strings with \u0000 are
 * refused before this check).
 * Invariants: allowing private addresses never refuses a URL that is
 * accepted without them, and refuses the others for the same reason, or
 * accepts them; a refusal always says why. */
#include "fuzz.h"

#include "domain/webhook_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    char *url = fuzz_rest(&in);
    const char *why_strict = NULL, *why_open = NULL;
    int strict = webhook_url_check(url, 0, &why_strict);
    int open = webhook_url_check(url, 1, &why_open);
    FUZZ_CHECK(strict == 0 || strict == -1);
    FUZZ_CHECK(open == 0 || open == -1);
    FUZZ_CHECK(strict != 0 || open == 0);
    FUZZ_CHECK(strict == 0 || (why_strict && why_strict[0]));
    FUZZ_CHECK(open == 0 || (why_open && why_open[0]));
    FUZZ_CHECK(open == 0 || strict == 0 || strcmp(why_strict, why_open) == 0);
    int private = webhook_address_is_private(url);
    FUZZ_CHECK(private == 0 || private == 1);
    free(url);
    return 0;
}
