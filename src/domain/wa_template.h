/* wa_template.h - a whatsapp campaign's template (config.template) beyond
 * name, language, category and body parameters: the optional header and
 * buttons a Cloud API template send can carry, checked at create and
 * filled per recipient at its turn.
 *
 *   "header":  {"type": "text", "text": "Hi {{name}}"}
 *              {"type": "image" | "video" | "document", "link": "https://...",
 *               "filename": "invoice.pdf" (document only, optional)}
 *   "buttons": [{"sub_type": "url" | "quick_reply" | "copy_code",
 *                "index": 0..9, "parameter": "..."}]
 *
 * Every string of parameters, header (text, link, filename) and buttons
 * (parameter) may hold {{name}} placeholders, filled from the recipient's
 * params as body parameters are (template.h); a missing param fails the
 * recipient (missing_param). Pure, thread-safe. */
#ifndef CAMPAIGND_WA_TEMPLATE_H
#define CAMPAIGND_WA_TEMPLATE_H

#include "domain/verr.h"

#include <jansson.h>

#define WA_TEMPLATE_MAX_BUTTONS 10

/* Checks the header and buttons of template t (an object; name, language,
 * category and parameters are checked by campaign.c). 0, or -1 with e
 * (field config.template.header... / config.template.buttons[i]...). */
int wa_template_check_extras(json_t *t, struct verr *e);
/* Fills every placeholder of t (parameters, header, buttons) with params.
 * 0 and a new compact JSON text in *out (caller frees); -1 with the missing
 * param's name in missing and *out NULL. */
int wa_template_fill(json_t *t, json_t *params, char **out, char missing[65]);

#endif
