/* template.h - {{name}} placeholders in message bodies and WhatsApp
 * template parameters. A placeholder is "{{", optional blanks, a param name
 * ([A-Za-z_][A-Za-z0-9_]*, at most 64), optional blanks, "}}". Values come
 * from the recipient's params: strings as they are, numbers and booleans
 * as JSON writes them. A missing param fails the render: a text is never
 * sent half filled. Pure, thread-safe. */
#ifndef CAMPAIGND_TEMPLATE_H
#define CAMPAIGND_TEMPLATE_H

#include <jansson.h>

/* 0 when every "{{" opens a well-formed placeholder; -1 with *why set. */
int template_check(const char *tmpl, const char **why);
/* Renders tmpl with params (an object, or NULL). 0 and a new string in *out
 * (caller frees); -1 with the missing param's name in missing ("" when
 * tmpl is NULL: nothing to render). */
int template_render(const char *tmpl, json_t *params, char **out, char missing[65]);

#endif
