/* registry.c - provider_open: from a provider's type to its
 * implementation. One row per built type; a new provider adds its row here
 * and its type in domain/provider_def.c. */
#include "providers/provider.h"
#include "util/log.h"

#include <string.h>

struct provider_impl {
    const char *type;
    int (*open)(const struct provider_def *def, const struct provider_env *env,
                struct provider **out);
};

static const struct provider_impl impls[] = {
    {"sim", provider_sim_open},   {"twilio", provider_twilio_open},
    {"smpp", provider_smpp_open}, {"meta_whatsapp", provider_meta_whatsapp_open},
    {"vapi", provider_vapi_open}, {"retell", provider_retell_open},
};

int provider_open(const struct provider_def *def, const struct provider_env *env,
                  struct provider **out) {
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++)
        if (strcmp(impls[i].type, def->type) == 0)
            return impls[i].open(def, env, out);
    log_error("providers: %s has type %s, which this server does not build", def->name, def->type);
    return ERROR_INVALID;
}
