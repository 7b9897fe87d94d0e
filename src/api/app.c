/* app.c - startup helpers of struct app, see app.h. */
#include "api/app.h"
#include "util/crypto.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int app_load_secret(struct app *app) {
    uint8_t fresh[32];
    char hex[65];
    crypto_random(fresh, sizeof fresh);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", fresh[i]);
    char *stored = NULL;
    int rc = app->store->ops->meta_get_or_put(app->store, "page_token_secret", hex, &stored);
    if (rc) {
        log_error("cannot load the server secret: %s", store_strerror(rc));
        return rc;
    }
    if (strlen(stored) != 64) {
        log_error("the stored server secret is malformed");
        free(stored);
        return STORE_EIO;
    }
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        sscanf(stored + 2 * i, "%2x", &v);
        app->page_secret[i] = (uint8_t)v;
    }
    free(stored);
    return 0;
}
