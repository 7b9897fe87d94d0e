/* fuzz_keywords.c - inbound sms text, POST /v1/providers/sim/inbound:
 * keyword_classify (src/domain/keywords.c) on any text.
 * Input: the message body (NUL cuts it short).
 * Invariants: the answer is one of the three actions, and has a name;
 * blanks around the text and the letters' case change nothing; a keyword
 * answer means the trimmed text is at most 11 bytes of letters. */
#include "fuzz.h"

#include "domain/keywords.h"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    char *body = fuzz_rest(&in);
    size_t n = strlen(body);
    enum keyword_action a = keyword_classify(body);
    FUZZ_CHECK(a == KEYWORD_NONE || a == KEYWORD_OPT_OUT || a == KEYWORD_OPT_IN);
    FUZZ_CHECK(keyword_action_name(a)[0] != '\0');

    char *padded = malloc(n + 5);
    FUZZ_CHECK(padded != NULL);
    snprintf(padded, n + 5, " \t%s\r\n", body);
    FUZZ_CHECK(keyword_classify(padded) == a);
    for (size_t i = 0; i < n; i++)
        body[i] = (char)(i % 2 ? tolower((unsigned char)body[i]) : toupper((unsigned char)body[i]));
    FUZZ_CHECK(keyword_classify(body) == a);
    if (a != KEYWORD_NONE) {
        const char *s = body;
        while (isspace((unsigned char)*s))
            s++;
        size_t letters = 0;
        while (isalpha((unsigned char)s[letters]))
            letters++;
        FUZZ_CHECK(letters >= 3 && letters <= 11);
    }
    FUZZ_CHECK(keyword_classify(NULL) == KEYWORD_NONE);
    free(padded);
    free(body);
    return 0;
}
