/* keywords.h - inbound opt-out keywords, shared by every provider's inbound
 * path. STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT opt
 * out; START, UNSTOP opt back in; only when the keyword is the whole
 * message, in any case, blanks around it ignored ("STOP PLEASE" is nothing).
 * Pure, thread-safe. */
#ifndef CAMPAIGND_KEYWORDS_H
#define CAMPAIGND_KEYWORDS_H

enum keyword_action { KEYWORD_NONE, KEYWORD_OPT_OUT, KEYWORD_OPT_IN };

enum keyword_action keyword_classify(const char *body);
const char *keyword_action_name(enum keyword_action a); /* "opted_out", ... */

#endif
