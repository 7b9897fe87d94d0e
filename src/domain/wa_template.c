/* wa_template.c - see wa_template.h. */
#include "domain/wa_template.h"
#include "domain/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_text(json_t *v, const char *field, int required, size_t max, struct verr *e) {
    if (!v || json_is_null(v)) {
        if (required)
            return verr_set(e, field, "%s is required", field);
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) < 1 || json_string_length(v) > max)
        return verr_set(e, field, "%s must be a string of 1..%zu bytes", field, max);
    const char *why = NULL;
    if (template_check(json_string_value(v), &why) != 0)
        return verr_set(e, field, "%s %s", field, why);
    return 0;
}

static int check_header(json_t *h, struct verr *e) {
    const char *f = "config.template.header";
    if (!json_is_object(h))
        return verr_set(e, f, "%s must be an object with a type", f);
    const char *type = json_string_value(json_object_get(h, "type"));
    if (!type || (strcmp(type, "text") && strcmp(type, "image") && strcmp(type, "video") &&
                  strcmp(type, "document")))
        return verr_set(e, "config.template.header.type",
                        "config.template.header.type must be text, image, video or document");
    if (strcmp(type, "text") == 0)
        return check_text(json_object_get(h, "text"), "config.template.header.text", 1, 1024, e);
    if (check_text(json_object_get(h, "link"), "config.template.header.link", 1, 2048, e))
        return -1;
    json_t *filename = json_object_get(h, "filename");
    if (filename && !json_is_null(filename) && strcmp(type, "document") != 0)
        return verr_set(e, "config.template.header.filename",
                        "config.template.header.filename is for a document header only");
    return check_text(filename, "config.template.header.filename", 0, 240, e);
}

static int check_buttons(json_t *list, struct verr *e) {
    if (!json_is_array(list) || json_array_size(list) > WA_TEMPLATE_MAX_BUTTONS)
        return verr_set(e, "config.template.buttons",
                        "config.template.buttons must be an array of at most %d buttons",
                        WA_TEMPLATE_MAX_BUTTONS);
    size_t i;
    json_t *b;
    json_array_foreach(list, i, b) {
        char f[96];
        snprintf(f, sizeof f, "config.template.buttons[%zu]", i);
        if (!json_is_object(b))
            return verr_set(e, f, "%s must be an object", f);
        const char *sub = json_string_value(json_object_get(b, "sub_type"));
        if (!sub ||
            (strcmp(sub, "url") && strcmp(sub, "quick_reply") && strcmp(sub, "copy_code"))) {
            snprintf(f, sizeof f, "config.template.buttons[%zu].sub_type", i);
            return verr_set(e, f, "%s must be url, quick_reply or copy_code", f);
        }
        json_t *idx = json_object_get(b, "index");
        if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
            json_integer_value(idx) >= WA_TEMPLATE_MAX_BUTTONS) {
            snprintf(f, sizeof f, "config.template.buttons[%zu].index", i);
            return verr_set(e, f, "%s must be an integer 0..%d", f, WA_TEMPLATE_MAX_BUTTONS - 1);
        }
        snprintf(f, sizeof f, "config.template.buttons[%zu].parameter", i);
        if (check_text(json_object_get(b, "parameter"), f, 1, 2000, e))
            return -1;
    }
    return 0;
}

int wa_template_check_extras(json_t *t, struct verr *e) {
    json_t *h = json_object_get(t, "header");
    if (h && !json_is_null(h) && check_header(h, e))
        return -1;
    json_t *b = json_object_get(t, "buttons");
    if (b && !json_is_null(b) && check_buttons(b, e))
        return -1;
    return 0;
}

/* Replaces the string o[key] (when it is one) by its filled text. */
static int fill_key(json_t *o, const char *key, json_t *params, char missing[65]) {
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        return 0;
    char *filled = NULL;
    if (template_render(s, params, &filled, missing) != 0)
        return -1;
    json_object_set_new(o, key, json_string(filled));
    free(filled);
    return 0;
}

int wa_template_fill(json_t *t, json_t *params, char **out, char missing[65]) {
    *out = NULL;
    missing[0] = '\0';
    json_t *c = json_deep_copy(t);
    if (!c)
        return 0;
    int rc = 0;
    json_t *list = json_object_get(c, "parameters");
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        char *filled = NULL;
        if (!json_is_string(p) ||
            template_render(json_string_value(p), params, &filled, missing) != 0) {
            rc = -1;
            break;
        }
        json_array_set_new(list, i, json_string(filled));
        free(filled);
    }
    json_t *h = json_object_get(c, "header");
    if (rc == 0 && json_is_object(h))
        rc = fill_key(h, "text", params, missing) || fill_key(h, "link", params, missing) ||
                     fill_key(h, "filename", params, missing)
                 ? -1
                 : 0;
    json_array_foreach(json_object_get(c, "buttons"), i, p) {
        if (rc == 0 && json_is_object(p) && fill_key(p, "parameter", params, missing))
            rc = -1;
    }
    if (rc == 0)
        *out = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return rc;
}
